package io.seresnext.job.testing;

import io.seresnext.job.data.DemoDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the cross-JVM tests share: the tiny training job, launching it through submit/*.sh, reading its log. */
public final class ClusterRuns {

    /** JavaCPP's off-heap caps for the tests' small executors and driver (seresnext.*.jvm lines of a properties file). */
    public static final List<String> MEMORY_CAPS = List.of(
            "seresnext.executor.jvm=-Dorg.bytedeco.javacpp.maxbytes=2G -Dorg.bytedeco.javacpp.maxphysicalbytes=4G",
            "seresnext.driver.jvm=-Dorg.bytedeco.javacpp.maxbytes=1G -Dorg.bytedeco.javacpp.maxphysicalbytes=3G");

    private ClusterRuns() {
    }

    /** Fails early when `package` has not built the cluster jar that the launch scripts submit. */
    public static void requireClusterJar() {
        Path jar = Path.of("target/spark-job-cluster.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the cluster jar is built by `package`: " + jar.toAbsolutePath());
        }
    }

    /** The drawn shapes dataset the tiny job trains on (3 classes, 16 training and 6 validation images each). */
    public static String writeShapesDataset(MiniHdfs hdfs) throws IOException {
        String input = hdfs.uri("/data/shapes");
        DemoDataset.write(input, hdfs.fileSystem().getConf(), 3, 16, 6, 1);
        return input;
    }

    /** The tiny preset at 16x16, 2 epochs, two workers; Aeron on loopback for gradient sharing. */
    public static List<String> tinyJob(String input, String output, String master) {
        return List.of("train", "--input", input, "--output", output, "--training-master", master,
                "--preset", "seresnext11_4x8d_tiny", "--epochs", "2", "--batch-size", "8",
                "--set", "model.image-size=16", "--set", "data.stored-size=18", "--set", "data.shard-images=20",
                "--set", "train.learning-rate=0.05", "--set", "train.eval-batch-size=16",
                "--set", "training-master.workers=2",
                "--set", "training-master.parameter-averaging.averaging-frequency=2",
                "--set", "training-master.gradient-sharing.controller-address=127.0.0.1",
                "--set", "training-master.gradient-sharing.network-mask=127.0.0.0/8");
    }

    /** Starts a launcher script (submit/*.sh, or a distribution's spark-submit) with its arguments, output to {@code log}. */
    public static Process start(Path launcher, List<String> jobArgs, Map<String, String> env, Path log)
            throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", launcher.toString()));
        command.addAll(jobArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The exit status; a run that takes over 600 s is a hang, and fails the test. */
    public static int await(Process p, Path log) throws InterruptedException {
        return await(p, log, 600);
    }

    /** The exit status; a run that takes over {@code seconds} is a hang, and fails the test. */
    public static int await(Process p, Path log, int seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the job did not finish in " + seconds + " s; see " + log);
        }
        return p.exitValue();
    }

    /** The last {@code count} lines of a log. */
    public static String tail(Path log, int count) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }
}
