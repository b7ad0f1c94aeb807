package io.seresnext.job.train;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.BatchPlan;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.gpu.GpuAssignment;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * What a run will do before any network exists: how many workers train at once, how many iterations each runs per
 * epoch, and the learning-rate schedule those imply (which a new network's updater needs).
 *
 * @param workersPerExecutor gradient sharing's workers in each executor (one per assigned GPU unless configured)
 * @param schedule           the rate each worker applies (under gradient sharing with averaged updates, the global
 *                           rate divided by the number of workers)
 */
public record RunPlan(boolean gradientSharing, int workers, int workersPerExecutor, int iterationsPerWorker,
                      LearningRateSchedule schedule) {

    public static RunPlan of(JavaSparkContext sc, JobConfig config, ShardManifest manifest) {
        boolean gradientSharing = config.trainingMaster().type() == JobConfig.MasterType.GRADIENT_SHARING;
        int perExecutor = GpuAssignment.workersPerExecutor(
                config.trainingMaster().gradientSharing().workersPerExecutor(), sc.getConf());
        int workers = workers(sc, config.trainingMaster(), perExecutor);
        long batches = BatchPlan.trainingEpoch(manifest, ImageFolderIndex.TRAIN, 0, config.train().batchSize(),
                config.data().shuffleRun(), config.train().seed()).size();
        int iterations = (int) Math.max(1, (batches + workers - 1) / workers);
        LearningRateSchedule global = LearningRateSchedule.of(config.train(), iterations,
                config.train().batchSize() * workers);
        LearningRateSchedule schedule = gradientSharing && config.trainingMaster().gradientSharing().averageUpdates()
                ? global.scaled(1.0 / workers) : global;
        return new RunPlan(gradientSharing, workers, perExecutor, iterations, schedule);
    }

    /**
     * Workers that train at once: parameter averaging runs one per Spark task slot; gradient sharing one per
     * executor times its workers per executor (local mode is one executor). Executors that register after the
     * job starts are not counted: set training-master.workers where dynamic allocation is on.
     */
    static int workers(JavaSparkContext sc, JobConfig.Master m, int workersPerExecutor) {
        if (m.workers() > 0) {
            return m.workers();
        }
        if (m.type() == JobConfig.MasterType.PARAMETER_AVERAGING) {
            return sc.defaultParallelism();
        }
        int executors = sc.sc().isLocal() ? 1 : Math.max(1, sc.sc().getExecutorMemoryStatus().size() - 1);
        return executors * workersPerExecutor;
    }
}
