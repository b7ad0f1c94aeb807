package io.seresnext.job.bench;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * Two executor JVMs against one JVM: the same small model and data trained with each training master in local
 * mode (one JVM, two workers) and on a standalone cluster of two Workers on this machine (two executor JVMs, one
 * worker each); prints validation accuracy and wall time of each, and for gradient sharing across JVMs the payload
 * bytes each worker sent per iteration (as the other executor received them) against the dense gradient.
 * Run by submit/bench-cluster.sh; a benchmark, not a test (minutes, and the figures are what it is for).
 */
public final class ClusterBenchmark {

    private static final Path ROOT = Path.of(System.getProperty("seresnext.root", ".")).toAbsolutePath().normalize();

    private record Run(String name, int status, double seconds, String accuracy, Path log) {
    }

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int trainPerClass = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path work = Files.createTempDirectory("bench-cluster");
        String data = work.resolve("shapes").toUri().toString();
        DemoDataset.write(data, new Configuration(), 6, trainPerClass, trainPerClass / 5, 7);
        List<String> job = List.of("--input", data, "--preset", "seresnext11_4x8d_tiny", "--epochs",
                String.valueOf(epochs), "--batch-size", "32", "--set", "model.image-size=24", "--set",
                "data.stored-size=28", "--set", "train.learning-rate=0.1", "--set", "train.warmup-epochs=1",
                "--set", "training-master.workers=2",
                "--set", "training-master.parameter-averaging.averaging-frequency=8",
                "--set", "training-master.gradient-sharing.controller-address=127.0.0.1",
                "--set", "training-master.gradient-sharing.network-mask=127.0.0.0/8");
        // the shard cache is built once, outside the timed runs
        exec(List.of("bash", ROOT.resolve("submit/local.sh").toString(), "prepare", "--input", data),
                java.util.Map.of(), work.resolve("prepare.log"));

        List<Run> runs = new ArrayList<>();
        for (String master : List.of("parameter-averaging", "gradient-sharing")) {
            List<String> args1 = new ArrayList<>(List.of("bash", ROOT.resolve("submit/local.sh").toString(),
                    "train", "--master", "local[2]", "--training-master", master, "--output",
                    work.resolve("local-" + master).toUri().toString()));
            args1.addAll(job);
            // one JVM: gradient sharing's two workers are two replicas in the one executor
            args1.addAll(List.of("--set", "training-master.gradient-sharing.workers-per-executor=2"));
            runs.add(timed("one JVM, " + master, args1, java.util.Map.of("OMP_NUM_THREADS", "1"),
                    work.resolve("local-" + master + ".log")));
        }
        Path traffic;
        try (StandaloneCluster cluster = new StandaloneCluster(1, "3g", List.of(List.of(), List.of()))) {
            Path props = work.resolve("cluster.properties");
            Files.writeString(props, String.join("\n", "spark.driver.host=127.0.0.1",
                    "spark.driver.bindAddress=127.0.0.1", "spark.executor.memory=2g", "spark.executor.cores=1",
                    "spark.cores.max=2", "spark.driver.memory=1g", "spark.ui.enabled=false",
                    "spark.executorEnv.OMP_NUM_THREADS=1",
                    "seresnext.executor.jvm=-Dorg.bytedeco.javacpp.maxbytes=2G"
                            + " -Dorg.bytedeco.javacpp.maxphysicalbytes=4G", ""));
            for (String master : List.of("parameter-averaging", "gradient-sharing")) {
                List<String> args2 = new ArrayList<>(List.of("bash", ROOT.resolve("submit/standalone.sh").toString(),
                        "train", "--training-master", master, "--output",
                        work.resolve("cluster-" + master).toUri().toString()));
                args2.addAll(job);
                java.util.Map<String, String> env = new java.util.HashMap<>(cluster.environment());
                env.put("SPARK_MASTER", cluster.masterUrl());
                env.put("SPARK_PROPERTIES", props.toString());
                runs.add(timed("two executor JVMs, " + master, args2, env, work.resolve("cluster-" + master + ".log")));
            }
            traffic = Files.writeString(work.resolve("traffic.txt"), trafficReport(cluster.executorLogs(),
                    work.resolve("cluster-gradient-sharing.log")));
        }
        System.out.println();
        System.out.println("| run | final validation top-1 | wall time (s) |");
        System.out.println("| --- | --- | --- |");
        for (Run r : runs) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f |%n", r.name(), r.status() == 0 ? r.accuracy()
                    : "failed (" + r.log() + ")", r.seconds());
        }
        System.out.println();
        System.out.print(Files.readString(traffic));
        System.out.println("logs: " + work);
    }

    private static Run timed(String name, List<String> command, java.util.Map<String, String> env, Path log)
            throws Exception {
        System.out.println("running: " + name);
        long start = System.nanoTime();
        int status = exec(command, env, log);
        double seconds = (System.nanoTime() - start) / 1e9;
        Matcher m = Pattern.compile("Final validation accuracy after epoch \\d+: top-1 ([0-9.]+%)")
                .matcher(Files.readString(log));
        return new Run(name, status, seconds, m.find() ? m.group(1) : "?", log);
    }

    private static int exec(List<String> command, java.util.Map<String, String> env, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(1800, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /**
     * Gradient sharing's traffic from the executors' logs: the last per-epoch line of each executor says how many
     * updates and payload bytes it has received from the other node, i.e. what that node's worker sent.
     */
    static String trafficReport(List<Path> executorLogs, Path driverLog) throws Exception {
        String driver = Files.readString(driverLog);
        Matcher iterations = Pattern.compile("(\\d+) iterations per worker and epoch").matcher(driver);
        int perEpoch = iterations.find() ? Integer.parseInt(iterations.group(1)) : -1;
        // the dense gradient: one float per parameter of the benchmark's model (six classes)
        long dense = 4L * io.seresnext.model.ParameterCount.trainable(
                io.seresnext.model.Presets.get("seresnext11_4x8d_tiny").withNumClasses(6));
        Pattern line = Pattern.compile("before epoch (\\d+) on this executor: received (\\d+) updates \\((\\d+) "
                + "payload bytes\\) from node (\\S+)");
        StringBuilder out = new StringBuilder("Gradient sharing across two executor JVMs, per sending worker ("
                + perEpoch + " iterations per worker and epoch; dense gradient " + dense + " bytes):\n");
        for (Path log : executorLogs) {
            String text = Files.readString(log);
            if (!text.contains("this executor is node")) {
                continue;
            }
            Matcher m = line.matcher(text);
            String last = null;
            int epoch = 0;
            long updates = 0;
            long bytes = 0;
            while (m.find()) {
                epoch = Integer.parseInt(m.group(1));
                updates = Long.parseLong(m.group(2));
                bytes = Long.parseLong(m.group(3));
                last = m.group(4);
            }
            if (last != null && perEpoch > 0) {
                long its = (long) (epoch - 1) * perEpoch;
                double perIteration = bytes / (double) its;
                out.append(String.format(Locale.ROOT, "  node %s: %d updates in %d iterations, %.0f payload bytes per "
                                + "iteration = %.4f of the dense gradient (%.1fx smaller)%n", last, updates, its,
                        perIteration, perIteration / dense, dense / perIteration));
            }
        }
        return out.toString();
    }
}
