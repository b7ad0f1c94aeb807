package io.seresnext.job.bench;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * The training job's throughput against the training step's ({@code bench-model}) for the same preset, input,
 * per-worker batch and cores, in one sitting: parameter averaging and gradient sharing with one worker on two
 * threads in local mode, and both across the two one-core executor JVMs of a standalone cluster on this machine
 * (against two one-thread steps run side by side). The job's figure is the epoch's images over its fit (what its
 * epoch lines print), median over the epochs after the first (which starts the workers); the whole epoch (fit,
 * batch-norm statistics, validation, checkpoint) is printed next to it. Run by submit/bench-job.sh; a benchmark,
 * not a test.
 */
public final class JobThroughputBenchmark {

    private static final Path ROOT = ClusterBenchmark.ROOT;
    private static final List<String> ALL_RUNS = List.of("pa-local", "gs-local", "pa-cluster", "gs-cluster");

    record Options(String preset, int imageSize, int batch, int perClass, int epochs, List<String> runs,
                   List<String> sets) {

        static Options parse(String[] args) {
            HarnessOptions parsed = HarnessOptions.parse(args, Map.of("--preset",
                    "seresnext29_8x16d_w1", "--image-size", "28", "--batch", "64", "--per-class", "400", "--epochs",
                    "3", "--runs", String.join(",", ALL_RUNS)));
            Map<String, String> o = parsed.values();
            List<String> runs = parsed.runs("--runs", ALL_RUNS);
            List<String> sets = parsed.sets();
            int epochs = Integer.parseInt(o.get("--epochs"));
            if (epochs < 2) {
                throw new IllegalArgumentException("--epochs must be at least 2: the first epoch is not timed");
            }
            return new Options(o.get("--preset"), Integer.parseInt(o.get("--image-size")),
                    Integer.parseInt(o.get("--batch")), Integer.parseInt(o.get("--per-class")), epochs, runs, sets);
        }

        String input() {
            return "3x" + imageSize + "x" + imageSize;
        }
    }

    /** One run's figures: images/sec over the fit and over the whole epoch, and the step it is compared with. */
    record Result(String run, String layout, double stepImagesPerSecond, double fitImagesPerSecond,
                  double epochImagesPerSecond, Path log) {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Path work = Files.createTempDirectory("bench-job");
        System.out.println("work directory: " + work);
        boolean cluster = o.runs().stream().anyMatch(r -> r.endsWith("cluster"));
        Path data = work.resolve("shapes");
        DemoDataset.write(data.toUri().toString(), new Configuration(), 6, o.perClass(), o.perClass() / 5, 7);
        ClusterBenchmark.exec(List.of("bash", ROOT.resolve("submit/local.sh").toString(), "prepare", "--input",
                data.toUri().toString(), "--set", "data.stored-size=" + storedSize(o), "--set",
                "model.image-size=" + o.imageSize()), Map.of(), work.resolve("prepare.log"));

        // the steps first, then the jobs, all in this sitting
        double stepAllCores = step(o, 2, work, "step-2t");
        double stepOneCore = cluster ? step(o, 1, work, "step-1t") : Double.NaN;
        double[] stepsSideBySide = cluster ? stepsSideBySide(o, work) : new double[] {Double.NaN, Double.NaN};
        double stepCluster = stepsSideBySide[0] + stepsSideBySide[1];
        System.out.printf(Locale.ROOT, "step: %.2f img/s on 2 threads, %.2f on 1 (the other core idle), %.2f + %.2f "
                + "on 1 each, side by side%n", stepAllCores, stepOneCore, stepsSideBySide[0], stepsSideBySide[1]);

        List<Result> results = new ArrayList<>();
        try (StandaloneCluster standalone = cluster ? new StandaloneCluster(1, "3g", List.of(List.of(), List.of()))
                : null) {
            for (String run : o.runs()) {
                boolean onCluster = run.endsWith("cluster");
                Result r = train(run, o, data, work, standalone, onCluster ? stepCluster : stepAllCores);
                results.add(r);
                System.out.printf(Locale.ROOT, "%s: fit %.2f img/s, whole epoch %.2f img/s%n", run,
                        r.fitImagesPerSecond(), r.epochImagesPerSecond());
            }
        }
        System.out.println();
        System.out.print(table(o, results));
        System.out.println("logs: " + work);
    }

    private static int storedSize(Options o) {
        return o.imageSize() * 8 / 7;
    }

    /**
     * Two one-thread steps at once, one per core: what the two one-core executors train against. A core runs the step
     * slower while the other core is busy than while it idles (BENCHMARKS.md, "Throughput"), so twice one step alone
     * is not what two executors on these cores can reach.
     */
    static double[] stepsSideBySide(Options o, Path work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Double> first = pool.submit(() -> step(o, 1, work, "step-1t-a"));
            Future<Double> second = pool.submit(() -> step(o, 1, work, "step-1t-b"));
            return new double[] {first.get(), second.get()};
        } finally {
            pool.shutdown();
        }
    }

    /** bench-model's median images/sec at the options' shapes on this many threads. */
    static double step(Options o, int threads, Path work, String name) throws Exception {
        Path log = work.resolve(name + ".log");
        int status = ClusterBenchmark.exec(List.of("bash", ROOT.resolve("submit/local.sh").toString(),
                "bench-model", "--preset", o.preset(), "--batch", String.valueOf(o.batch()), "--input", o.input(),
                // 20 warm-up steps: with bench-model's default 5 the step had not reached its speed yet
                "--warmup", "20", "--steps", "20"), Map.of("OMP_NUM_THREADS", String.valueOf(threads)), log);
        Matcher m = Pattern.compile("\"imgs_per_s_median\":([0-9.]+)").matcher(Files.readString(log));
        if (status != 0 || !m.find()) {
            throw new IllegalStateException("bench-model failed: see " + log);
        }
        return Double.parseDouble(m.group(1));
    }

    private static Result train(String run, Options o, Path data, Path work, StandaloneCluster standalone,
                                double step) throws Exception {
        boolean onCluster = run.endsWith("cluster");
        int workers = onCluster ? 2 : 1;
        Path output = work.resolve("out-" + run);
        Path log = work.resolve(run + ".log");
        List<String> command = new ArrayList<>(List.of("bash", ROOT.resolve(onCluster ? "submit/standalone.sh"
                : "submit/local.sh").toString(), "train", "--training-master", run.startsWith("gs")
                ? "gradient-sharing" : "parameter-averaging", "--input", data.toUri().toString(), "--output",
                output.toUri().toString(), "--preset", o.preset(), "--epochs", String.valueOf(o.epochs()),
                "--batch-size", String.valueOf(o.batch()), "--set", "model.image-size=" + o.imageSize(), "--set",
                "data.stored-size=" + storedSize(o), "--set", "training-master.workers=" + workers,
                "--set", "training-master.gradient-sharing.controller-address=127.0.0.1",
                "--set", "training-master.gradient-sharing.network-mask=127.0.0.0/8"));
        Map<String, String> env = new HashMap<>();
        if (onCluster) {
            env.putAll(ClusterBenchmark.submitEnvironment(standalone, work));
        } else {
            command.addAll(List.of("--master", "local[1]"));
            env.put("OMP_NUM_THREADS", "2");
        }
        for (String set : o.sets()) {
            command.addAll(List.of("--set", set));
        }
        int status = ClusterBenchmark.exec(command, env, log);
        Path metrics = output.resolve("metrics.json");
        if (status != 0 || !Files.exists(metrics)) {
            return new Result(run, layout(onCluster), step, Double.NaN, Double.NaN, log);
        }
        List<double[]> epochs = epochs(Files.readString(metrics));
        return new Result(run, layout(onCluster), step, median(epochs, 0), median(epochs, 1), log);
    }

    private static String layout(boolean onCluster) {
        return onCluster ? "2 executor JVMs x 1 core" : "local, 1 worker x 2 cores";
    }

    /** Per epoch after the first: images/sec over the fit, and over the whole epoch. */
    static List<double[]> epochs(String metricsJson) {
        Matcher m = Pattern.compile("\"epoch\" : (\\d+),.*?\"trainImages\" : (\\d+),.*?\"imagesPerSecond\" : "
                + "([0-9.eE]+),.*?\"epochSeconds\" : ([0-9.eE]+)", Pattern.DOTALL).matcher(metricsJson);
        List<double[]> epochs = new ArrayList<>();
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) > 1) {
                epochs.add(new double[] {Double.parseDouble(m.group(3)),
                        Long.parseLong(m.group(2)) / Double.parseDouble(m.group(4))});
            }
        }
        return epochs;
    }

    private static double median(List<double[]> epochs, int column) {
        return epochs.isEmpty() ? Double.NaN : Medians.of(epochs.stream().map(e -> e[column]).toList());
    }

    static String table(Options o, List<Result> results) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%s, %s, batch %d per worker:%n%n",
                o.preset(), o.input(), o.batch()));
        s.append("| run | workers | step img/s (same cores) | job img/s (fit) | job / step | job img/s (whole epoch) "
                + "| whole epoch / step |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Result r : results) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %.2fx | %.2f | %.2fx |%n", r.run(),
                    r.layout(), r.stepImagesPerSecond(), Double.isNaN(r.fitImagesPerSecond())
                            ? "failed (" + r.log() + ")" : String.format(Locale.ROOT, "%.2f", r.fitImagesPerSecond()),
                    r.fitImagesPerSecond() / r.stepImagesPerSecond(), r.epochImagesPerSecond(),
                    r.epochImagesPerSecond() / r.stepImagesPerSecond()));
        }
        return s.toString();
    }
}
