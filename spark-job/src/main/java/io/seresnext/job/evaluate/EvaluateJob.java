package io.seresnext.job.evaluate;

import io.seresnext.job.Dl4jSystemProperties;
import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.BatchPlan;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardBatchLoader;
import io.seresnext.job.data.ShardCache;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.job.report.ReportPages;
import io.seresnext.job.report.RunEnvironment;
import io.seresnext.job.train.Evaluator;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code evaluate}: a published model scored on a labelled folder, with training's own validation pass on the
 * executors. The output, the model and the folder's classes are checked before anything is decoded. Images are
 * prepared as the model was trained (its stored size, crop size and normalisation, from its job.conf); where the
 * shard cache lives, how many images go in a shard or a batch, and the Spark master come from this run's options.
 */
public final class EvaluateJob {

    /** The finished evaluation and where it was written. */
    public record Result(EvaluationReport report, String file) {
    }

    private EvaluateJob() {
    }

    /** @param config this run's options; its output, when blank, is the model's directory */
    public static Result run(SparkSession spark, String modelUri, JobConfig config) throws IOException {
        Instant started = Instant.now();
        Dl4jSystemProperties.applyDefaults();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (config.output().isBlank() && ModelRegistry.isRegistry(modelUri, hadoop)) {
            throw new InvalidConfigException("--output is required when --model is a registry (" + modelUri
                    + "): its versions are never written to");
        }
        EvaluationFile file = config.output().isBlank() ? null : new EvaluationFile(config.output(), hadoop);
        if (file != null) {
            file.checkUsable(config.overwrite()); // before the model is read: a refused run should cost nothing
        }
        PublishedModel model = PublishedModel.read(modelUri, hadoop);
        if (file == null) {
            String parent = new org.apache.hadoop.fs.Path(model.directory()).getParent().toString();
            if (ModelRegistry.isRegistry(parent, hadoop)) {
                throw new InvalidConfigException("--output is required: " + model.directory() + " is a version of "
                        + "the registry " + parent + ", which is never written to");
            }
            file = new EvaluationFile(model.directory(), hadoop);
            file.checkUsable(config.overwrite());
        }
        EvaluationReport report = score(spark, model, config.input(), config);
        file.write(report);
        file.writeReport(ReportPages.evaluation(report, RunEnvironment.of(spark.sparkContext(), started,
                Instant.now())));
        return new Result(report, file.path().toString());
    }

    /**
     * Scores a model on the labelled folder {@code input} (its val/ when it has one), writing nothing but the shard
     * cache: the folder's classes must be the model's, preprocessing is the model's own, and the cache, shard size,
     * bad-file limit and batch size come from {@code options}.
     */
    public static EvaluationReport score(SparkSession spark, PublishedModel model, String input, JobConfig options) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        ImageFolderIndex.Listing listing = ImageFolderIndex.labelled(spark, input, model.classes());
        JobConfig.Data trained = model.config().data();
        ShardManifest manifest;
        try {
            manifest = ShardCache.prepare(spark, listing, options.data().withStoredSize(trained.storedSize()));
        } finally {
            listing.files().unpersist(); // the listing is only needed to build or check the cache
        }

        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ShardBatchLoader loader = new ShardBatchLoader(hadoop, model.config().model().imageSize(),
                model.classes().size(), trained.meanArray(), trained.stdArray(), false, 0);
        List<String> batches = BatchPlan.evaluation(manifest, ImageFolderIndex.VAL, options.train().evalBatchSize());
        sc.setJobDescription("evaluate " + model.directory() + " on " + batches.size() + " batches");
        Evaluator.Result result = Evaluator.evaluate(sc, model.network(), batches, loader);
        return EvaluationReport.of(model, listing.root(), result);
    }
}
