package io.seresnext.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.data.HdfsClientSettings;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardCache;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.output.AtomicFiles;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.output.RunLock;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.registry.Lineage;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.job.registry.QualityGate;
import io.seresnext.job.registry.RegistryException;
import io.seresnext.job.registry.RegistryVersion;
import io.seresnext.job.report.ReportPages;
import io.seresnext.job.report.RunEnvironment;
import io.seresnext.job.train.LearningRateSchedule;
import io.seresnext.job.train.NetworkFactory;
import io.seresnext.job.train.RunPlan;
import io.seresnext.job.train.Trainer;
import io.seresnext.job.train.TrainingMasters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
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
    /** The quality gate's decision, beside the published model. */
    public static final String GATE = "gate.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The finished run: its output directory, final state, the registry version it became and what the quality
     * gate decided (each null where not asked for).
     */
    public record Result(String output, TrainingState state, RegistryVersion registered,
                         QualityGate.Decision promotion) {
    }

    private TrainJob() {
    }

    public static Result run(SparkSession spark, JobConfig requested) throws IOException {
        Dl4jSystemProperties.applyDefaults();
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        HdfsClientSettings.apply(hadoop); // before the first HDFS access: a NameNode restart must not hang the run
        ModelStore store = new ModelStore(requested.output(), hadoop);
        // the lock first: a second run on a held output hears who holds it (the lock leaves no empty directory)
        try (RunLock lock = store.lock()) {
            if (!requested.rerunSafe()) {
                return runLocked(spark, requested, store, hadoop);
            }
            ModelStore.RunState found = store.runState();
            log.info("--rerun-safe: the output {} holds {} run", store.root(), found.name().toLowerCase(Locale.ROOT));
            return switch (found) {
                case EMPTY -> runLocked(spark, requested, store, hadoop);
                case INTERRUPTED -> runLocked(spark, requested.resuming(), store, hadoop);
                case FINISHED -> finishedBefore(spark, requested, store, hadoop);
            };
        }
    }

    /**
     * A rerun of a finished run trains nothing: it registers the published model unless a registry version already
     * holds it (a run that stopped between publishing and registering), and gates it unless the gate already
     * decided (gate.json): a gate run again could make an old version current after a newer one was promoted.
     */
    private static Result finishedBefore(SparkSession spark, JobConfig requested, ModelStore store,
                                         Configuration hadoop) throws IOException {
        TrainingState state = store.published();
        JobConfig stored = JobConfigLoader.fromStored(state.config(), store.root() + "/" + ModelStore.CONFIG);
        String register = requested.register().isBlank() ? stored.register() : requested.register();
        JobConfig.Gate gate = requested.gate().enabled() ? requested.gate() : stored.gate();
        if (register.isBlank()) {
            log.info("{} is finished; nothing to do", store.root());
            return new Result(store.root().toString(), state, null, null);
        }
        ModelRegistry registry = ModelRegistry.openOrCreate(register, hadoop);
        Optional<RegistryVersion> earlier = registry.versionOf(store.root());
        RegistryVersion registered;
        if (earlier.isPresent()) {
            registered = earlier.get();
            log.info("{} is finished and registered as {}", store.root(), registered.path());
        } else {
            // what is known after the fact: the run's own timings and cache fingerprint were not kept
            Lineage lineage = new Lineage("", "", stored.input(), "", state.classes(),
                    state.metrics().isEmpty() ? null : state.metrics().get(state.metrics().size() - 1), null,
                    stored.initModel(), Lineage.jarCodeVersion(), "", Instant.now().toString(), state.config());
            registered = register(register, store.root(), lineage, !gate.enabled(), hadoop);
        }
        QualityGate.Decision promotion = null;
        if (gate.enabled()) {
            Optional<QualityGate.Decision> decided = readGateDecision(store, hadoop)
                    .filter(d -> d.candidate().equals(registered.name()));
            promotion = decided.isPresent() ? decided.get() : gated(spark, registry, registered, gate, requested,
                    store, hadoop);
        }
        return new Result(store.root().toString(), state, registered, promotion);
    }

    /** The gate's decision, kept in the output so that a rerun reports it instead of deciding again. */
    private static QualityGate.Decision gated(SparkSession spark, ModelRegistry registry, RegistryVersion candidate,
                                              JobConfig.Gate gate, JobConfig options, ModelStore store,
                                              Configuration hadoop) throws IOException {
        spark.sparkContext().setJobDescription("quality gate");
        QualityGate.Decision decision = QualityGate.apply(spark, registry, candidate, gate, options);
        Path file = new Path(store.root(), GATE);
        AtomicFiles.write(HadoopFiles.fileSystem(file.toString(), hadoop), file, out -> JSON.writeValue(out, decision));
        return decision;
    }

    private static Optional<QualityGate.Decision> readGateDecision(ModelStore store, Configuration hadoop)
            throws IOException {
        Path file = new Path(store.root(), GATE);
        FileSystem fs = HadoopFiles.fileSystem(file.toString(), hadoop);
        if (!fs.exists(file)) {
            return Optional.empty();
        }
        try (java.io.InputStream in = fs.open(file)) {
            return Optional.of(JSON.readValue(in, QualityGate.Decision.class));
        }
    }

    private static Result runLocked(SparkSession spark, JobConfig requested, ModelStore store, Configuration hadoop)
            throws IOException {
        Instant started = Instant.now();
        JobConfig config = requested;
        ModelStore.Checkpoint checkpoint = null;
        store.checkUsable(requested.overwrite(), requested.resume()); // again: a run may have ended meanwhile
        TrainingMasters.requireNetworkMaskOnClusters(requested, spark.sparkContext().isLocal());
        if (requested.resume()) {
            checkpoint = store.latestCheckpoint().orElseThrow(() ->
                    new OutputException("--resume: no finished checkpoint under " + store.root()));
            config = JobConfigLoader.fromStored(checkpoint.state().config(), checkpoint.path() + "/state.json")
                    .resumedOn(requested.master());
            log.info("Resuming {} after epoch {} of {}", store.root(), checkpoint.state().completedEpochs(),
                    config.train().epochs());
        }
        // a resumed run registers where the interrupted one would have, unless told otherwise now
        String register = requested.register().isBlank() ? config.register() : requested.register();
        JobConfig.Gate gate = requested.gate().enabled() ? requested.gate() : config.gate();
        if (!register.isBlank()) {
            ModelRegistry.checkRegistrable(register, hadoop);
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
        ModelRegistry.ModelSource init = null;
        boolean firstOfItsRegistry = !register.isBlank() && !config.initModel().isBlank()
                && HadoopFiles.qualified(config.initModel(), hadoop).equals(HadoopFiles.qualified(register, hadoop))
                && !ModelRegistry.hasCurrent(register, hadoop);
        if (firstOfItsRegistry) {
            // a pipeline that warm-starts from the registry it feeds has to begin somewhere
            log.info("{} has no current version yet: this run starts from a fresh network", register);
        } else if (!config.initModel().isBlank()) {
            init = ModelRegistry.resolve(config.initModel(), hadoop); // a registry means its current version
            earlier = ModelStore.readModel(init.modelZip(), hadoop); // fails early on a missing model
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
                    ? NetworkFactory.warmStart(earlier, init.modelZip(), config, classes.size(), schedule)
                    : NetworkFactory.fresh(config, classes.size(), schedule);
            state = new TrainingState(classes, config.source(), 0, 0, List.of());
        }
        Trainer.Outcome outcome = new Trainer(sc, config, manifest, store, plan).run(network, state);
        sc.setJobDescription("publish the model");
        RunEnvironment environment = RunEnvironment.of(spark.sparkContext(), started, Instant.now());
        byte[] report = ReportPages.training(store.root().toString(), outcome.state(), outcome.lastValidation(),
                environment).render().getBytes(StandardCharsets.UTF_8);
        store.publish(outcome.network(), outcome.state(), ModelStore.preprocessing(config), report);
        RegistryVersion registered = null;
        QualityGate.Decision promotion = null;
        if (!register.isBlank()) {
            Lineage lineage = new Lineage("", "", listing.root(), manifest.fingerprint(), classes,
                    outcome.state().metrics().get(outcome.state().metrics().size() - 1),
                    init == null ? null : init.version(), config.initModel(), Lineage.jarCodeVersion(),
                    started.toString(), Instant.now().toString(), config.source());
            registered = register(register, store.root(), lineage, !gate.enabled(), hadoop);
            if (gate.enabled()) {
                promotion = gated(spark, ModelRegistry.open(register, hadoop), registered, gate, config, store, hadoop);
            }
        }
        return new Result(store.root().toString(), outcome.state(), registered, promotion);
    }

    /** Registers the published output; any failure leaves it published and says so (exit status 1). */
    private static RegistryVersion register(String registry, Path published, Lineage lineage, boolean promoteIfFirst,
                                            Configuration hadoop) {
        try {
            return ModelRegistry.openOrCreate(registry, hadoop).register(published, lineage, promoteIfFirst);
        } catch (IOException | RuntimeException e) {
            throw new RegistryException("the model is published at " + published + ", but registering it in "
                    + registry + " failed: " + e.getMessage(), e);
        }
    }

    /** {@code prepare}: list and decode the dataset into the shard cache, nothing else. */
    public static ShardManifest prepare(SparkSession spark, JobConfig config) {
        ImageFolderIndex.Listing listing = ImageFolderIndex.list(spark, config.input(), config.data());
        return ShardCache.prepare(spark, listing, config.data());
    }
}
