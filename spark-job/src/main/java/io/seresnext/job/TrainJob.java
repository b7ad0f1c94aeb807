package io.seresnext.job;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardCache;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.output.RunLock;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.train.LearningRateSchedule;
import io.seresnext.job.train.NetworkFactory;
import io.seresnext.job.train.RunPlan;
import io.seresnext.job.train.Trainer;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code train}: image folder in, published model out. Everything that can be checked before training is
 * checked first (output, input, classes, bad files); the model is only ever written by renaming.
 */
public final class TrainJob {

    private static final Logger log = LoggerFactory.getLogger(TrainJob.class);

    /** The finished run: its output directory and final state. */
    public record Result(String output, TrainingState state) {
    }

    private TrainJob() {
    }

    public static Result run(SparkSession spark, JobConfig requested) throws IOException {
        Dl4jSystemProperties.applyDefaults();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        ModelStore store = new ModelStore(requested.output(), hadoop);
        store.checkUsable(requested.overwrite(), requested.resume()); // before the lock creates the directory
        try (RunLock lock = store.lock()) {
            return runLocked(spark, requested, store, hadoop);
        }
    }

    private static Result runLocked(SparkSession spark, JobConfig requested, ModelStore store, Configuration hadoop)
            throws IOException {
        JobConfig config = requested;
        ModelStore.Checkpoint checkpoint = null;
        store.checkUsable(requested.overwrite(), requested.resume()); // again: a run may have ended meanwhile
        if (requested.resume()) {
            checkpoint = store.latestCheckpoint().orElseThrow(() ->
                    new OutputException("--resume: no finished checkpoint under " + store.root()));
            config = JobConfigLoader.fromStored(checkpoint.state().config(), checkpoint.path() + "/state.json")
                    .resumedOn(requested.master());
            log.info("Resuming {} after epoch {} of {}", store.root(), checkpoint.state().completedEpochs(),
                    config.train().epochs());
        }

        if (config.data().createDemo() && !HadoopFiles.fileSystem(config.input(), hadoop)
                .exists(new Path(config.input()))) {
            log.info("No dataset at {}: drawing the demo dataset there", config.input());
            DemoDataset.write(config.input(), hadoop, DemoDataset.CLASSES.size(), 400, 80, config.train().seed());
        }
        ImageFolderIndex.Listing listing = ImageFolderIndex.list(spark, config.input(), config.data());
        List<String> classes = listing.classes();
        if (checkpoint != null && !checkpoint.state().classes().equals(classes)) {
            throw new InvalidConfigException("--resume: the classes under " + listing.root() + " " + classes
                    + " are not the checkpoint's " + checkpoint.state().classes());
        }
        ComputationGraph earlier = null;
        if (!config.initModel().isBlank()) {
            earlier = ModelStore.readModel(config.initModel(), hadoop); // fails early on a missing model
        }
        ShardManifest manifest = ShardCache.prepare(spark, listing, config.data());
        if (checkpoint == null) {
            store.startRun(config.overwrite());
        }

        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        RunPlan plan = RunPlan.of(sc, config, manifest);
        LearningRateSchedule schedule = plan.schedule();
        ComputationGraph network;
        TrainingState state;
        if (checkpoint != null) {
            network = checkpoint.network();
            state = checkpoint.state();
        } else {
            network = earlier != null
                    ? NetworkFactory.warmStart(earlier, config.initModel(), config, classes.size(), schedule)
                    : NetworkFactory.fresh(config, classes.size(), schedule);
            state = new TrainingState(classes, config.source(), 0, 0, List.of());
        }
        Trainer.Outcome outcome = new Trainer(sc, config, manifest, store, plan).run(network, state);
        sc.setJobDescription("publish the model");
        store.publish(outcome.network(), outcome.state(), ModelStore.preprocessing(config));
        return new Result(store.root().toString(), outcome.state());
    }

    /** {@code prepare}: list and decode the dataset into the shard cache, nothing else. */
    public static ShardManifest prepare(SparkSession spark, JobConfig config) {
        ImageFolderIndex.Listing listing = ImageFolderIndex.list(spark, config.input(), config.data());
        return ShardCache.prepare(spark, listing, config.data());
    }
}
