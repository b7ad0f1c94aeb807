package io.seresnext.job.predict;

import static org.apache.spark.sql.functions.col;

import io.seresnext.job.Dl4jSystemProperties;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.output.OutputException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code predict}: every image under {@code --input} scored by a published model on the executors
 * ({@link SeResNeXtModel}) and written as Parquet. Spark writes into a hidden staging folder beside the output
 * (its commit protocol: task output committed once, {@code _SUCCESS} last); the share of unreadable images, counted
 * by the executors while they wrote ({@link ScoringCounts}), is then checked against {@code data.max-bad-fraction},
 * and only a run within it is renamed onto {@code --output}: the output appears whole or not at all.
 */
public final class PredictJob {

    /** What was written. */
    public record Result(String output, String model, long images, long errors, boolean labelled) {
    }

    private static final Logger log = LoggerFactory.getLogger(PredictJob.class);
    private static final int BAD_EXAMPLES = 5;
    /** Images per scoring partition beyond Spark's parallelism: a lost task redoes at most this many. */
    private static final long PARTITION_IMAGES = 2048;

    private PredictJob() {
    }

    public static Result run(SparkSession spark, String modelUri, int topK, JobConfig config) throws IOException {
        Dl4jSystemProperties.applyDefaults();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path output = new Path(HadoopFiles.qualified(config.output(), hadoop));
        FileSystem fs = HadoopFiles.fileSystem(output.toString(), hadoop);
        checkUsable(fs, output, config.overwrite()); // before the model is read: a refused run should cost nothing

        long start = System.nanoTime();
        SeResNeXtModel model = SeResNeXtModel.load(spark, modelUri).setTopK(topK)
                .setBatchSize(config.train().evalBatchSize());
        long loaded = System.nanoTime();
        ImageTree.Listing listing = ImageTree.list(spark, config.input(), model.classes());
        long listed = System.nanoTime();
        int partitions = (int) Math.max(spark.sparkContext().defaultParallelism(),
                (listing.count() + PARTITION_IMAGES - 1) / PARTITION_IMAGES);
        // listing tasks follow the folders, which can be few and uneven: spread the paths before scoring
        ScoringCounts counts = new ScoringCounts(spark.sparkContext());
        Dataset<Row> scored = model.transformCounting(listing.files().repartition(partitions), counts);

        // the staging folder keeps the output's name (Spark's reader ignores roots named "." or "_..."); a hidden
        // parent keeps it out of listings of the output's folder
        Path stagingParent = new Path(output.getParent(), ".predict-" + UUID.randomUUID());
        Path staging = new Path(stagingParent, output.getName());
        try {
            spark.sparkContext().setJobDescription("predict: score " + listing.count() + " images under "
                    + listing.root());
            scored.write().parquet(staging.toString());
            long written0 = System.nanoTime();
            long images = counts.rows();
            long errors = counts.errors();
            double limit = config.data().maxBadFraction();
            if (errors > limit * images) {
                List<String> examples = spark.read().parquet(staging.toString())
                        .where(col(PredictionColumns.ERROR).isNotNull())
                        .select(SeResNeXtModel.PATH, PredictionColumns.ERROR)
                        .limit(BAD_EXAMPLES).collectAsList().stream()
                        .map(r -> r.getString(0) + ": " + r.getString(1)).toList();
                throw new DataException(String.format(Locale.ROOT, "%d of %d files under %s could not be read as "
                                + "images (%.2f%%, more than data.max-bad-fraction %.2f%%), e.g. %s; nothing written "
                                + "to %s", errors, images, listing.root(), 100.0 * errors / images, 100 * limit,
                        examples, output));
            }
            publish(fs, staging, output, config.overwrite());
            // where a run's time goes: the model, the listing, scoring with the write, the check and the rename
            log.info(String.format(Locale.ROOT, "predict: model %.1f s, listing %.1f s, scoring and Parquet %.1f s, "
                    + "check and publish %.1f s", (loaded - start) / 1e9, (listed - loaded) / 1e9,
                    (written0 - listed) / 1e9, (System.nanoTime() - written0) / 1e9));
            return new Result(output.toString(), model.sha256(), images, errors, listing.labelled());
        } finally {
            listing.files().unpersist();
            if (fs.exists(stagingParent)) {
                fs.delete(stagingParent, true);
            }
        }
    }

    private static void checkUsable(FileSystem fs, Path output, boolean overwrite) throws IOException {
        if (!overwrite && fs.exists(output)) {
            throw new OutputException("output " + output + " already exists; pass --overwrite to replace it or "
                    + "choose another --output");
        }
    }

    /** One rename; with --overwrite the old output is removed just before it. */
    private static void publish(FileSystem fs, Path staging, Path output, boolean overwrite) throws IOException {
        checkUsable(fs, output, overwrite); // again: another run may have written it meanwhile
        if (fs.exists(output) && !fs.delete(output, true)) {
            throw new OutputException("cannot remove the existing output " + output);
        }
        if (!fs.rename(staging, output)) {
            throw new OutputException("cannot rename " + staging + " to " + output);
        }
    }
}
