package io.seresnext.job.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on loopback: a Master and Workers, each in its own JVM, started from the Spark
 * jars the project builds against, laid out as a Spark distribution ({@code SPARK_HOME/jars}). The distribution
 * holds Spark, Hadoop and their libraries only, none of the job's (DL4J, ND4J, ...): those have to come from the
 * cluster jar, as on a real cluster.
 */
public final class StandaloneCluster implements AutoCloseable {

    /** Jars of the job, not of a Spark distribution. */
    private static final List<String> JOB_ONLY = List.of("/org/deeplearning4j/", "/org/nd4j/", "/org/datavec/",
            "/org/bytedeco/", "/io/seresnext/", "/com/github/scopt/", "/com/typesafe/config/", "/io/aeron/",
            "/org/agrona/", "/junit/", "/org/junit/", "/org/opentest4j/", "/hadoop-client-minicluster/",
            "/spark-job/target/", "/model-defs/target/");

    private final Path home;
    private final int port;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> javaOptions;

    public StandaloneCluster(int workers, int coresPerWorker, String workerMemory) throws IOException,
            InterruptedException {
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
        javaOptions = List.of(System.getProperty("seresnext.java17.opens", "").trim().split("\\s+"));
        port = freePort();
        start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(freePort())));
        for (int i = 0; i < workers; i++) {
            start("worker" + i, List.of("org.apache.spark.deploy.worker.Worker", masterUrl(), "--host",
                    "127.0.0.1", "--cores", String.valueOf(coresPerWorker), "--memory", workerMemory,
                    "--webui-port", String.valueOf(freePort()), "--work-dir", home.resolve("work" + i).toString()));
        }
        Thread.sleep(8000); // workers register with the master
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

    public String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    public Path home() {
        return home;
    }

    /** The JVM options every process of the cluster (and the driver) needs: Java 17's module openings. */
    public List<String> javaOptions() {
        return javaOptions;
    }

    /** Kills (SIGKILL) one executor JVM of the given worker, as a lost machine would; false if it has none. */
    public boolean killExecutorOf(int worker) {
        Process w = processes.get(1 + worker);
        return w.toHandle().descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .findFirst().map(ProcessHandle::destroyForcibly).orElse(false);
    }

    private void start(String name, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBin(), "-Xmx512m"));
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", home.resolve("jars") + "/*"));
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve(name + ".log").toFile());
        pb.environment().putAll(environment());
        processes.add(pb.start());
    }

    /** What a Spark launcher needs to find the distribution (its Scala version: a release has no build dirs). */
    public java.util.Map<String, String> environment() {
        return java.util.Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12",
                "SPARK_LOCAL_IP", "127.0.0.1");
    }

    private static String javaBin() {
        return System.getProperty("java.home") + "/bin/java";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        processes.forEach(Process::destroy);
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
