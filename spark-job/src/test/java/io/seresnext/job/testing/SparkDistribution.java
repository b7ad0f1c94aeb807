package io.seresnext.job.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Spark distribution laid out from the jars the project builds against ({@code SPARK_HOME/jars},
 * {@code bin/spark-submit}, {@code RELEASE}). It holds Spark (with its YARN module), Hadoop and their libraries
 * only, none of the job's (DL4J, ND4J, ...): those have to come from the cluster jar, as on a real cluster.
 */
public final class SparkDistribution {

    /** Jars of the job or of the tests, not of a Spark distribution. */
    private static final List<String> JOB_ONLY = List.of("/org/deeplearning4j/", "/org/nd4j/", "/org/datavec/",
            "/org/bytedeco/", "/io/seresnext/", "/com/github/scopt/", "/com/typesafe/config/", "/io/aeron/",
            "/org/agrona/", "/junit/", "/org/junit/", "/org/opentest4j/", "/hadoop-client-minicluster/",
            "/spark-job/target/", "/model-defs/target/");

    private final Path home;

    public SparkDistribution() throws IOException {
        home = Files.createTempDirectory("spark-home");
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark (test distribution from the build's class path)\n");
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            File f = new File(entry);
            if (f.isFile() && f.getName().endsWith(".jar") && JOB_ONLY.stream().noneMatch(entry::contains)) {
                Path link = jars.resolve(f.getName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, f.toPath());
                }
            }
        }
        writeSparkSubmit();
    }

    /**
     * {@code bin/spark-submit} as a distribution has it: Spark's launcher library builds the driver's java command
     * (applying --driver-java-options, --driver-memory, ...), which then runs SparkSubmit.
     */
    private void writeSparkSubmit() throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path script = bin.resolve("spark-submit");
        Files.writeString(script, String.join("\n",
                "#!/usr/bin/env bash",
                "set -e",
                "java=\"" + javaBin() + "\"",
                "cmd=()",
                "seen_marker=false",
                "# the launcher prints its messages, a NUL and a newline, then the command, NUL-separated",
                "while IFS= read -d '' -r arg; do",
                "  if [[ $seen_marker == false ]]; then [[ -n \"$arg\" ]] && echo \"$arg\" >&2; seen_marker=true;"
                        + " continue; fi",
                "  cmd+=(\"${arg#$'\\n'}\")",
                "done < <(\"$java\" -Xmx128m -cp \"$SPARK_HOME/jars/*\""
                        + " org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit \"$@\")",
                "[[ ${#cmd[@]} -gt 0 ]] || { echo 'spark-submit: the launcher built no command' >&2; exit 1; }",
                "exec \"${cmd[@]}\"", ""));
        script.toFile().setExecutable(true);
    }

    public Path home() {
        return home;
    }

    public Path jars() {
        return home.resolve("jars");
    }

    /** What a Spark launcher needs to find the distribution (its Scala version: a release has no build dirs). */
    public Map<String, String> environment() {
        return Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1");
    }

    /** The JVM options every Spark process (and the driver) needs here: Java 17's module openings. */
    public static List<String> javaOptions() {
        Path options = Path.of(System.getProperty("seresnext.java17.options", "../conf/java17-options"));
        try {
            return Files.readAllLines(options).stream().map(String::trim)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String javaBin() {
        return System.getProperty("java.home") + "/bin/java";
    }
}
