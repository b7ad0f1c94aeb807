package io.seresnext.job.train;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.BatchPlan;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardBatchLoader;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.gpu.GpuAssignment;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.TrainingState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epoch loop on the driver: each epoch fits the shard batches through the training master, evaluates on the
 * validation split, and writes a checkpoint; every Spark job it starts says which epoch and phase it belongs to.
 */
public final class Trainer {

    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    private final JavaSparkContext sc;
    private final JobConfig config;
    private final ShardManifest manifest;
    private final ModelStore store;
    private final RunPlan plan;

    public Trainer(JavaSparkContext sc, JobConfig config, ShardManifest manifest, ModelStore store, RunPlan plan) {
        this.sc = sc;
        this.config = config;
        this.manifest = manifest;
        this.store = store;
        this.plan = plan;
    }

    /**
     * The trained network (a training master may hand back a new object) and the run's final state.
     *
     * @param lastValidation the last epoch's validation pass, with its confusion counts; null when this run
     *                       trained no epoch (a resumed run that had finished them all)
     */
    public record Outcome(ComputationGraph network, TrainingState state, Evaluator.Result lastValidation) {
    }

    private Evaluator.Result lastValidation;

    /** Trains from the epoch after {@code state.completedEpochs()} to the last. */
    public Outcome run(ComputationGraph network, TrainingState state) throws IOException {
        JobConfig.Train t = config.train();
        int numClasses = manifest.classes().size();
        ShardBatchLoader loader = new ShardBatchLoader(sc.hadoopConfiguration(), config.model().imageSize(),
                numClasses, config.data().meanArray(), config.data().stdArray(), config.data().horizontalFlip(),
                t.seed(), config.data().resizedCrop());
        @SuppressWarnings("rawtypes")
        TrainingMaster master = TrainingMasters.create(config, plan.workers(), plan.workersPerExecutor(),
                sc.getConf().get("spark.driver.host", "127.0.0.1"));
        SparkComputationGraph spark = new SparkComputationGraph(sc, network, master);
        List<String> valBatches = BatchPlan.evaluation(manifest, ImageFolderIndex.VAL, t.evalBatchSize());
        log.info("Training {} ({} classes) on {} training / {} validation images: {} epochs, {} workers x batch {}, "
                        + "{} iterations per worker and epoch, {}", config.model().preset(), numClasses,
                manifest.count(ImageFolderIndex.TRAIN), manifest.count(ImageFolderIndex.VAL), t.epochs(),
                plan.workers(), t.batchSize(), plan.iterationsPerWorker(),
                config.trainingMaster().type().name().toLowerCase(Locale.ROOT));
        if (plan.gradientSharing()) {
            int gpus = GpuAssignment.gpusPerExecutor(sc.getConf());
            log.info("gradient sharing: {} worker(s) per executor{}; {}", plan.workersPerExecutor(), gpus > 0
                    ? " (" + gpus + " GPU(s) per executor)" : "", config.trainingMaster().gradientSharing()
                    .averageUpdates() ? "each worker steps at 1/" + plan.workers() + " of the learning rate, so the "
                    + "sum of the workers' updates is their average" : "the workers' updates are summed");
        }
        long runStart = System.nanoTime();
        int firstEpoch = state.completedEpochs() + 1;
        for (int epoch = firstEpoch; epoch <= t.epochs(); epoch++) {
            state = trainEpoch(spark, loader, valBatches, epoch, state);
            EpochMetrics metrics = state.metrics().get(state.metrics().size() - 1);
            double elapsed = (System.nanoTime() - runStart) / 1e9;
            double eta = elapsed / (epoch - firstEpoch + 1) * (t.epochs() - epoch);
            log.info(String.format(Locale.ROOT, "epoch %d/%d: %.1f img/s, validation loss %.4f top-1 %.2f%% top-5 "
                            + "%.2f%% (%d images), lr %.5f; run ETA %dm%02ds", epoch, t.epochs(),
                    metrics.imagesPerSecond(), metrics.valLoss(), 100 * metrics.top1(), 100 * metrics.top5(),
                    metrics.valImages(), metrics.learningRate(), (long) eta / 60, (long) eta % 60));
        }
        sc.clearJobGroup();
        return new Outcome(spark.getNetwork(), state, lastValidation);
    }

    /** One epoch: fit, (gradient sharing) batch-norm statistics, validation, checkpoint; the state after it. */
    private TrainingState trainEpoch(SparkComputationGraph spark, ShardBatchLoader loader, List<String> valBatches,
            int epoch, TrainingState state) throws IOException {
        JobConfig.Train t = config.train();
        int perWorker = plan.iterationsPerWorker();
        // the schedule reads these counters; set them so it does not depend on how the master advances them
        spark.getNetwork().getConfiguration().setEpochCount(epoch - 1);
        spark.getNetwork().getConfiguration().setIterationCount((epoch - 1) * perWorker);
        List<String> batches = BatchPlan.trainingEpoch(manifest, ImageFolderIndex.TRAIN, epoch, t.batchSize(),
                config.data().shuffleRun(), t.seed());
        long images = manifest.count(ImageFolderIndex.TRAIN);
        spark.setListeners(listeners(perWorker));
        // gradient sharing's tasks wait in DL4J's sleep loops: a cancelled epoch must interrupt them
        String group = phase(epoch, "train", batches.size() + " batches", plan.gradientSharing());
        long start = System.nanoTime();
        fitEpoch(spark, batches, loader, epoch, state, group);
        double seconds = (System.nanoTime() - start) / 1e9;
        // parameter averaging sets the score on the Spark wrapper, gradient sharing on the driver's network
        double trainLoss = plan.gradientSharing() ? spark.getNetwork().score() : spark.getScore();

        int recalibration = config.trainingMaster().gradientSharing().batchNormRecalibration();
        if (plan.gradientSharing() && recalibration > 0) {
            List<String> sample = batches.subList(0, Math.min(recalibration, batches.size()));
            phase(epoch, "batch-norm statistics", sample.size() + " training batches");
            BatchNormRecalibration.recalibrate(sc, spark.getNetwork(), sample, loader);
        }

        if (plan.gradientSharing() && config.trainingMaster().gradientSharing().diagnostics()) {
            diagnose(epoch, spark.getNetwork(), batches, valBatches, loader);
        }
        phase(epoch, "evaluate", valBatches.size() + " validation batches");
        Evaluator.Result val = Evaluator.evaluate(sc, spark.getNetwork(), valBatches, loader);
        double lr = plan.schedule().valueAt(epoch * perWorker - 1, epoch - 1);
        lastValidation = val;
        EpochMetrics metrics = new EpochMetrics(epoch, lr, images, seconds, images / seconds, val.images(),
                val.loss(), val.top1(), val.top5(), trainLoss, (System.nanoTime() - start) / 1e9);
        TrainingState after = state.after(metrics, epoch * perWorker);

        phase(epoch, "checkpoint", "");
        store.checkpoint(spark.getNetwork(), after, t.keepCheckpoints());
        return after;
    }

    /** The listeners of one epoch's workers. */
    private List<TrainingListener> listeners(int perWorker) {
        JobConfig.Train t = config.train();
        ProgressListener progress = new ProgressListener(t.epochs(), perWorker, t.batchSize(), t.logEvery(),
                plan.schedule());
        if (!plan.gradientSharing()) {
            return List.of(progress, new NativeHeapTuning());
        }
        List<TrainingListener> listeners = new ArrayList<>(List.of(new IterationAnchorListener(perWorker), progress,
                new GradientTrafficListener(), new NativeHeapTuning(), new TransportTimerSlack.OnWorkers()));
        JobConfig.GradientSharing gs = config.trainingMaster().gradientSharing();
        if (gs.keepResidual()) {
            listeners.add(new ResidualCarryOver());
        }
        if (gs.secondMessage() > 0) {
            listeners.add(new SecondMessage(gs.secondMessage(), gs.maxSparsity(),
                    TrainingMasters.residualClipping(gs)));
        }
        if (resyncReplicas()) {
            listeners.add(new ReplicaResync());
        }
        if (gs.diagnostics()) {
            listeners.add(new ReplicaSnapshots(store.root().toString(), sc.hadoopConfiguration()));
        }
        return listeners;
    }

    /** Executors in their own JVMs drop updates between epochs ({@link ReplicaResync}); local mode does not. */
    private boolean resyncReplicas() {
        return plan.gradientSharing() && config.trainingMaster().gradientSharing().replicaResync() && !sc.isLocal();
    }

    /**
     * One epoch's fit. Under gradient sharing an {@link ExecutorLossGuard} watches it: a lost executor stops the run
     * (DL4J's mesh would hang) with the checkpoint to resume from; parameter averaging lets Spark retry the tasks.
     */
    private void fitEpoch(SparkComputationGraph spark, List<String> batches, ShardBatchLoader loader, int epoch,
            TrainingState before, String group) {
        var data = sc.parallelize(batches, Math.min(batches.size(), plan.workers()));
        if (!plan.gradientSharing()) {
            spark.fitPaths(data, new EpochObservingLoader(new PrefetchFailureGuard(loader), null));
            return;
        }
        // a copy: Spark closes an AutoCloseable broadcast value when it is destroyed (see DistributedPass)
        Broadcast<INDArray> driverParameters = resyncReplicas() ? sc.broadcast(spark.getNetwork().params().dup())
                : null;
        ExecutorLossGuard guard = new ExecutorLossGuard(sc.sc());
        sc.sc().addSparkListener(guard);
        guard.arm(group);
        Exception failure = null;
        var paths = data.map(new TransportTimerSlack.OnTaskThread());
        Runnable fit = () -> spark.fitPaths(paths, new EpochObservingLoader(new PrefetchFailureGuard(loader),
                driverParameters));
        try {
            if (TransportTimerSlack.transportNotStarted()) {
                TransportTimerSlack.whileStarting(fit); // the driver's transport starts in its first fit
            } else {
                fit.run();
            }
        } catch (Exception e) { // Spark's Scala code throws SparkException, a checked one, undeclared
            failure = e;
        } finally {
            guard.disarm();
            sc.sc().removeSparkListener(guard);
            if (driverParameters != null) {
                driverParameters.destroy();
            }
        }
        if (guard.lostExecutor().isPresent()) {
            String resume = before.completedEpochs() == 0 ? "no epoch had finished, so nothing can be resumed: "
                    + "start the run again" : "the last checkpoint is epoch " + before.completedEpochs() + " under "
                    + store.root() + "/" + ModelStore.CHECKPOINTS + ": rerun with --resume to continue from it";
            throw new ExecutorLostException("executor " + guard.lostExecutor().get() + " was lost in epoch " + epoch
                    + "; gradient sharing cannot go on without it (DL4J's parameter-server mesh neither drops a lost "
                    + "node nor admits a replacement), so the run stopped; " + resume, failure);
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        } else if (failure != null) {
            throw new IllegalStateException("epoch " + epoch + " failed: " + failure.getMessage(), failure);
        }
    }

    /**
     * Gradient sharing's diagnostics after an epoch: how far the driver's model and the worker replicas are apart
     * (relative distance of the trainable parameters, batch-norm running statistics left out), and each replica's
     * own validation accuracy (its batch-norm statistics re-estimated the same way as the driver's).
     */
    private void diagnose(int epoch, ComputationGraph driver, List<String> batches, List<String> valBatches,
                          ShardBatchLoader loader) throws IOException {
        List<INDArray> replicas = ReplicaSnapshots.read(store.root().toString(), epoch,
                sc.hadoopConfiguration());
        int sample = Math.max(1, config.trainingMaster().gradientSharing().batchNormRecalibration());
        List<ComputationGraph> copies = new ArrayList<>();
        for (INDArray p : replicas) {
            ComputationGraph copy = driver.clone();
            copy.setParams(p.castTo(driver.params().dataType()));
            copies.add(copy);
        }
        for (int i = 0; i < copies.size(); i++) {
            StringBuilder distances = new StringBuilder(String.format(Locale.ROOT, "driver %.5f",
                    ReplicaSnapshots.relativeDistance(driver, copies.get(i))));
            for (int j = i + 1; j < copies.size(); j++) {
                distances.append(String.format(Locale.ROOT, ", replica %d %.5f", j + 1,
                        ReplicaSnapshots.relativeDistance(copies.get(i), copies.get(j))));
            }
            BatchNormRecalibration.recalibrate(sc, copies.get(i), batches.subList(0, Math.min(sample,
                    batches.size())), loader);
            Evaluator.Result r = Evaluator.evaluate(sc, copies.get(i), valBatches, loader);
            log.info(String.format(Locale.ROOT, "diagnostics epoch %d: replica %d of %d: relative distance to %s; "
                    + "replica validation top-1 %.2f%% loss %.4f", epoch, i + 1, copies.size(), distances,
                    100 * r.top1(), r.loss()));
        }
    }

    private String phase(int epoch, String phase, String detail) {
        return phase(epoch, phase, detail, false);
    }

    /** Names the Spark jobs that follow (job group and description); returns the group. */
    private String phase(int epoch, String phase, String detail, boolean interruptOnCancel) {
        String group = "epoch-" + epoch + "-" + phase;
        String description = "epoch " + epoch + "/" + config.train().epochs() + ": " + phase
                + (detail.isEmpty() ? "" : " (" + detail + ")");
        sc.setJobGroup(group, description, interruptOnCancel);
        sc.setJobDescription(description);
        return group;
    }
}
