package io.seresnext.job.bench;

import io.seresnext.job.cli.Command;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.predict.PredictJob;
import io.seresnext.job.predict.SeResNeXtModel;
import io.seresnext.job.train.LearningRateSchedule;
import io.seresnext.job.train.NetworkFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * {@code predict}'s throughput per core against {@code bench-model --forward-only} for the same model: a model of
 * the preset is published (untrained: the arithmetic is the same), drawn PNGs are scored by the whole predict job
 * (listing, decoding, preprocessing, forward passes, Parquet, the error check) in local Spark with one task per
 * core; then the Transformer alone on the same paths; then the bare network's forward pass in this JVM.
 * Prints the three and the ratios.
 * Run by submit/bench-predict.sh; a benchmark, not a test: the figures are what it is for.
 */
public final class PredictBenchmark {

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--preset", "seresnext11_4x8d_tiny", "--image-size", "32",
                "--stored-size", "36", "--images", "1200", "--cores", "1", "--batch", "32", "--passes", "3",
                "--steps", "50"));
        for (int i = 0; i < args.length; i += 2) {
            if (!o.containsKey(args[i]) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown option or no value: " + args[i] + "; known: "
                        + o.keySet());
            }
            o.put(args[i], args[i + 1]);
        }
        int cores = Integer.parseInt(o.get("--cores"));
        int batch = Integer.parseInt(o.get("--batch"));
        int images = Integer.parseInt(o.get("--images"));
        Path root = Files.createTempDirectory("bench-predict");
        String data = root.resolve("images").toUri().toString();
        String model = root.resolve("model").toUri().toString();
        List<String> classes = DemoDataset.CLASSES;
        Configuration hadoop = new Configuration();
        DemoDataset.write(data, hadoop, classes.size(), (images + classes.size() - 1) / classes.size(), 0, 1);

        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("input", data);
        keys.put("output", model);
        keys.put("model.preset", o.get("--preset"));
        keys.put("model.image-size", Integer.parseInt(o.get("--image-size")));
        keys.put("data.stored-size", Integer.parseInt(o.get("--stored-size")));
        JobConfig trained = JobConfigLoader.load(null, keys);
        ComputationGraph network = NetworkFactory.fresh(trained, classes.size(),
                LearningRateSchedule.of(trained.train(), 1, batch));
        new ModelStore(model, hadoop).publish(network, new TrainingState(classes, trained.source(), 0, 0, List.of()),
                ModelStore.preprocessing(trained));

        List<Double> perCore = new ArrayList<>();
        List<Double> transformPerCore = new ArrayList<>();
        long scored = 0;
        try (SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("bench-predict")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate()) {
            for (int pass = 0; pass <= Integer.parseInt(o.get("--passes")); pass++) { // pass 0 warms up
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("input", data);
                p.put("output", root.resolve("scores").toUri().toString());
                p.put("overwrite", true);
                p.put("train.eval-batch-size", batch);
                long t = System.nanoTime();
                PredictJob.Result r = PredictJob.run(spark, model, 5, JobConfigLoader.load(null, p, false));
                double seconds = (System.nanoTime() - t) / 1e9;
                scored = r.images();
                if (pass > 0) {
                    perCore.add(r.images() / seconds / cores);
                }
            }
            // the Transformer alone on the same paths (read, decode, prepare, forward; no listing, no Parquet):
            // what the job's own steps cost on top of it
            Dataset<Row> paths = spark.read().parquet(root.resolve("scores").toUri().toString()).select("path")
                    .repartition(cores).cache();
            paths.count();
            SeResNeXtModel transformer = SeResNeXtModel.load(spark, model).setBatchSize(batch);
            for (int pass = 0; pass <= Integer.parseInt(o.get("--passes")); pass++) {
                long t = System.nanoTime();
                long n = transformer.transform(paths).count();
                double seconds = (System.nanoTime() - t) / 1e9;
                if (pass > 0) {
                    transformPerCore.add(n / seconds / cores);
                }
            }
        }
        // the bare network last, in a JVM as warm as the passes' and with Spark stopped: measured first, before the
        // passes had warmed the JIT and oneDNN, it read lower and flattered the ratios
        Map<String, Object> forward = ModelBenchmark.run(new Command.BenchModel(trained.model().spec(classes.size()),
                batch, 5, Integer.parseInt(o.get("--steps")), false, true));
        double forwardPerThread = (Double) forward.get("imgs_per_s_median") / (Integer) forward.get("threads");

        double predictPerCore = Medians.of(perCore);
        System.out.printf(Locale.ROOT, "model %s at %dpx (stored %d), batch %d, %d drawn PNGs, local[%d], "
                        + "OMP_NUM_THREADS=%s%n", o.get("--preset"), trained.model().imageSize(),
                trained.data().storedSize(), batch, scored, cores, System.getenv().getOrDefault("OMP_NUM_THREADS",
                        "unset"));
        System.out.printf(Locale.ROOT, "bench-model --forward-only: %.1f images/s per thread (%d threads, median of "
                + "%s steps)%n", forwardPerThread, (Integer) forward.get("threads"), o.get("--steps"));
        System.out.printf(Locale.ROOT, "predict (whole job): %.1f images/s per core (median of %d passes, each %s)%n",
                predictPerCore, perCore.size(), perCore.stream().map(v -> String.format(Locale.ROOT, "%.1f", v))
                        .toList());
        double transform = Medians.of(transformPerCore);
        System.out.printf(Locale.ROOT, "Transformer only (transform(paths).count()): %.1f images/s per core (median "
                + "of %d passes, each %s)%n", transform, transformPerCore.size(), transformPerCore.stream()
                .map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
        System.out.printf(Locale.ROOT, "predict / forward-only: %.2f; Transformer / forward-only: %.2f%n",
                predictPerCore / forwardPerThread, transform / forwardPerThread);
    }
}
