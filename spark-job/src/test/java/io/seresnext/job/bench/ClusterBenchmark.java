package io.seresnext.job.bench;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * The equivalence benchmark: one model, one recipe, one global batch and number of epochs, trained as the PyTorch
 * reference does it in one process ({@code torch}), as one DL4J worker ({@code one}), with parameter averaging and
 * gradient sharing in one JVM ({@code pa1}, {@code gs1}: two workers in local mode) and across two executor JVMs
 * of a standalone cluster on this machine ({@code pa2}, {@code gs2}). Prints final validation top-1 and loss, wall
 * time and bytes each worker sends per iteration for every run, then the mean over seeds.
 * Run by submit/bench-cluster.sh; a benchmark, not a test (tens of minutes, and the figures are what it is for).
 */
public final class ClusterBenchmark {

    static final Path ROOT = Path.of(System.getProperty("seresnext.root", ".")).toAbsolutePath().normalize();
    private static final String PRESET = "seresnext11_4x8d_tiny";
    private static final List<String> ALL_RUNS = List.of("torch", "one", "pa1", "gs1", "pa2", "gs2");

    record Options(List<String> datasets, List<Integer> seeds, int epochs, int globalBatch, int perClass,
                   int averagingFrequency, List<String> runs, List<String> sets) {

        static Options parse(String[] args) {
            HarnessOptions parsed = HarnessOptions.parse(args, Map.of("--datasets",
                    "shapes,digits", "--seeds", "1,2", "--epochs", "6", "--global-batch", "64", "--per-class", "200",
                    "--averaging-frequency", "4", "--runs", String.join(",", ALL_RUNS)));
            Map<String, String> o = parsed.values();
            List<String> runs = parsed.runs("--runs", ALL_RUNS);
            List<String> sets = parsed.sets();
            return new Options(List.of(o.get("--datasets").split(",")),
                    java.util.Arrays.stream(o.get("--seeds").split(",")).map(Integer::valueOf).toList(),
                    Integer.parseInt(o.get("--epochs")), Integer.parseInt(o.get("--global-batch")),
                    Integer.parseInt(o.get("--per-class")), Integer.parseInt(o.get("--averaging-frequency")), runs,
                    sets);
        }
    }

    /** An ImageNet-layout folder and the crop the runs train on. */
    record Dataset(String name, Path folder, int imageSize, int storedSize) {
    }

    record Result(String dataset, int seed, String run, int status, double seconds, double top1, double loss,
                  String bytesPerIteration, Path log) {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path work = Files.createTempDirectory("bench-cluster");
        System.out.println("work directory: " + work);
        List<Result> results = new ArrayList<>();
        boolean cluster = options.runs().contains("pa2") || options.runs().contains("gs2");
        try (StandaloneCluster standalone = cluster ? new StandaloneCluster(1, "3g", List.of(List.of(), List.of()))
                : null) {
            for (String name : options.datasets()) {
                Dataset data = dataset(name, options, work);
                // the shard cache is built once, outside the timed runs
                exec(List.of("bash", ROOT.resolve("submit/local.sh").toString(), "prepare", "--input",
                        data.folder().toUri().toString(), "--set", "data.stored-size=" + data.storedSize(), "--set",
                        "model.image-size=" + data.imageSize()), Map.of(), work.resolve(name + "-prepare.log"));
                for (int seed : options.seeds()) {
                    for (String run : options.runs()) {
                        Result r = run(run, data, seed, options, work, standalone);
                        results.add(r);
                        System.out.printf(Locale.ROOT, "%s seed %d %s: top-1 %.2f%% loss %.4f, %.0f s%s%n", name,
                                seed, run, 100 * r.top1(), r.loss(), r.seconds(),
                                r.status() == 0 ? "" : " FAILED (" + r.log() + ")");
                    }
                }
            }
        }
        System.out.println();
        System.out.print(table(results));
        System.out.println();
        System.out.print(means(results));
        System.out.println("logs: " + work);
    }

    /**
     * What a submit script needs to train on the benchmark's standalone cluster: the cluster's environment, its
     * master, and Spark settings for its two one-core executors (written to {@code work}).
     */
    static Map<String, String> submitEnvironment(StandaloneCluster cluster, Path work) throws java.io.IOException {
        Path props = work.resolve("cluster.properties");
        Files.writeString(props, String.join("\n", "spark.driver.host=127.0.0.1",
                "spark.driver.bindAddress=127.0.0.1", "spark.executor.memory=2g", "spark.executor.cores=1",
                "spark.cores.max=2", "spark.driver.memory=1g", "spark.ui.enabled=false",
                "spark.executorEnv.OMP_NUM_THREADS=1",
                "seresnext.executor.jvm=-Dorg.bytedeco.javacpp.maxbytes=2G"
                        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=4G", ""));
        Map<String, String> env = new HashMap<>(cluster.environment());
        env.put("SPARK_MASTER", cluster.masterUrl());
        env.put("SPARK_PROPERTIES", props.toString());
        return env;
    }

    static Dataset dataset(String name, Options options, Path work) throws Exception {
        Path folder = work.resolve(name);
        switch (name) {
            case "shapes" -> {
                DemoDataset.write(folder.toUri().toString(), new Configuration(), 6, options.perClass(),
                        options.perClass() / 5, 7);
                return new Dataset(name, folder, 24, 28);
            }
            case "digits" -> {
                int status = exec(List.of("/usr/bin/python3", ROOT.resolve("submit/reference/digits_to_folder.py")
                        .toString(), folder.toString(), "--size", "32"), Map.of(), work.resolve("digits.log"));
                if (status != 0) {
                    throw new IllegalStateException("digits_to_folder.py failed: see " + work.resolve("digits.log"));
                }
                return new Dataset(name, folder, 28, 32);
            }
            default -> throw new IllegalArgumentException("unknown dataset " + name + "; known: shapes, digits");
        }
    }

    private static Result run(String run, Dataset data, int seed, Options o, Path work, StandaloneCluster cluster)
            throws Exception {
        String tag = data.name() + "-" + seed + "-" + run;
        Path log = work.resolve(tag + ".log");
        if (run.equals("torch")) {
            List<String> command = List.of("/usr/bin/python3", ROOT.resolve("submit/reference/train_torch.py")
                    .toString(), "--data", data.folder().toString(), "--preset", PRESET, "--image-size",
                    String.valueOf(data.imageSize()), "--stored-size", String.valueOf(data.storedSize()), "--epochs",
                    String.valueOf(o.epochs()), "--batch-size", String.valueOf(o.globalBatch()), "--lr", "0.1",
                    "--weight-decay", "5e-4", "--warmup-epochs", "1", "--seed", String.valueOf(seed), "--threads",
                    "2");
            long start = System.nanoTime();
            int status = exec(command, Map.of(), log);
            double seconds = (System.nanoTime() - start) / 1e9;
            String text = Files.readString(log);
            return new Result(data.name(), seed, run, status, seconds, number(text, "\"val_top1\": ([0-9.eE-]+)"),
                    number(text, "\"val_loss\": ([0-9.eE-]+)"), "-", log);
        }
        boolean one = run.equals("one");
        boolean twoJvms = run.endsWith("2");
        String master = run.startsWith("gs") ? "gradient-sharing" : "parameter-averaging";
        int workers = one ? 1 : 2;
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve(twoJvms ? "submit/standalone.sh"
                : "submit/local.sh").toString(), "train", "--training-master", master, "--output",
                work.resolve("out-" + tag).toUri().toString(), "--input", data.folder().toUri().toString(), "--preset",
                PRESET, "--epochs", String.valueOf(o.epochs()), "--batch-size", String.valueOf(o.globalBatch()
                        / workers), "--set", "model.image-size=" + data.imageSize(), "--set",
                "data.stored-size=" + data.storedSize(), "--set", "train.learning-rate=0.1", "--set",
                "train.weight-decay=5e-4", "--set", "train.warmup-epochs=1", "--set", "train.seed=" + seed,
                "--set", "training-master.workers=" + workers,
                "--set", "training-master.parameter-averaging.averaging-frequency=" + o.averagingFrequency(),
                "--set", "training-master.gradient-sharing.controller-address=127.0.0.1",
                "--set", "training-master.gradient-sharing.network-mask=127.0.0.0/8"));
        Map<String, String> env = new HashMap<>();
        if (twoJvms) {
            env.putAll(submitEnvironment(cluster, work));
        } else {
            command.addAll(List.of("--master", one ? "local[1]" : "local[2]"));
            // two workers in one JVM: gradient sharing runs them as two replicas in the one executor
            command.addAll(List.of("--set", "training-master.gradient-sharing.workers-per-executor=" + workers));
            env.put("OMP_NUM_THREADS", one ? "2" : "1");
        }
        for (String set : o.sets()) {
            command.addAll(List.of("--set", set));
        }
        List<Path> before = twoJvms ? cluster.executorLogs() : List.of();
        long start = System.nanoTime();
        int status = exec(command, env, log);
        double seconds = (System.nanoTime() - start) / 1e9;
        String text = Files.readString(log);
        String bytes = "-";
        if (master.equals("gradient-sharing") && twoJvms) {
            List<Path> executors = new ArrayList<>(cluster.executorLogs());
            executors.removeAll(before);
            bytes = gradientSharingBytes(executors, text);
        } else if (!one && master.equals("parameter-averaging")) {
            // each worker ships its parameters and updater state (Nesterov: one array as large) once per round
            bytes = String.format(Locale.ROOT, "%.0f (dense x %.2f)", 2.0 * denseBytes() / o.averagingFrequency(),
                    2.0 / o.averagingFrequency());
        }
        return new Result(data.name(), seed, run, status, seconds,
                number(text, "Final validation accuracy after epoch \\d+: top-1 ([0-9.]+)%") / 100,
                number(text, "Final validation accuracy after epoch \\d+: .*?loss ([0-9.]+)"), bytes, log);
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        double value = Double.NaN;
        while (m.find()) {
            value = Double.parseDouble(m.group(1));
        }
        return value;
    }

    static int exec(List<String> command, Map<String, String> env, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(3600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /**
     * The dense float32 gradient of the benchmark's model: one float per parameter (six classes; ten differ little).
     */
    static long denseBytes() {
        return 4L * io.seresnext.model.ParameterCount.trainable(
                io.seresnext.model.Presets.get(PRESET).withNumClasses(6));
    }

    /**
     * Gradient sharing's bytes per iteration from the executors' logs: the last per-epoch line of each executor says
     * how many payload bytes it has received from the other node, i.e. what that node's worker sent.
     */
    static String gradientSharingBytes(List<Path> executorLogs, String driverLog) throws Exception {
        Matcher iterations = Pattern.compile("(\\d+) iterations per worker and epoch").matcher(driverLog);
        int perEpoch = iterations.find() ? Integer.parseInt(iterations.group(1)) : -1;
        Pattern line = Pattern.compile("before epoch (\\d+) on this executor: received (\\d+) updates \\((\\d+) "
                + "payload bytes\\) from node (\\S+)");
        List<String> perNode = new ArrayList<>();
        for (Path log : executorLogs) {
            Matcher m = line.matcher(Files.readString(log));
            int epoch = 0;
            long bytes = 0;
            while (m.find()) {
                epoch = Integer.parseInt(m.group(1));
                bytes = Long.parseLong(m.group(3));
            }
            if (epoch > 1 && perEpoch > 0) {
                double perIteration = bytes / (double) ((long) (epoch - 1) * perEpoch);
                perNode.add(String.format(Locale.ROOT, "%.0f (dense x %.4f)", perIteration,
                        perIteration / denseBytes()));
            }
        }
        return perNode.isEmpty() ? "?" : String.join(", ", perNode);
    }

    static String table(List<Result> results) {
        StringBuilder s = new StringBuilder("| dataset | seed | run | validation top-1 | validation loss | wall (s) "
                + "| bytes sent per worker and iteration |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Result r : results) {
            s.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %.4f | %.0f | %s |%n", r.dataset(), r.seed(),
                    r.run(), r.status() == 0 ? String.format(Locale.ROOT, "%.2f %%", 100 * r.top1())
                            : "failed (" + r.log() + ")", r.loss(), r.seconds(), r.bytesPerIteration()));
        }
        return s.toString();
    }

    /** Mean top-1 per dataset and run over the seeds, and its difference to the one-worker baseline. */
    static String means(List<Result> results) {
        Map<String, Map<String, double[]>> sums = new LinkedHashMap<>();
        for (Result r : results) {
            double[] sum = sums.computeIfAbsent(r.dataset(), d -> new LinkedHashMap<>())
                    .computeIfAbsent(r.run(), k -> new double[2]);
            sum[0] += r.status() == 0 ? r.top1() : Double.NaN;
            sum[1]++;
        }
        StringBuilder s = new StringBuilder("| dataset | run | mean top-1 over seeds | points against one worker |\n"
                + "| --- | --- | --- | --- |\n");
        sums.forEach((dataset, runs) -> {
            double[] base = runs.get("one");
            runs.forEach((run, sum) -> s.append(String.format(Locale.ROOT, "| %s | %s | %.2f %% | %s |%n", dataset,
                    run, 100 * sum[0] / sum[1], base == null ? "-" : String.format(Locale.ROOT, "%+.2f",
                            100 * (sum[0] / sum[1] - base[0] / base[1])))));
        });
        return s.toString();
    }
}
