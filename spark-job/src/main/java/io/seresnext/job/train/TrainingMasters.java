package io.seresnext.job.train;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.ResidualClippingPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.TargetSparsityThresholdAlgorithm;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.repartitioner.NoOpRepartitioner;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/** The DL4J training master the configuration asks for, set up for path-based training on shard batches. */
public final class TrainingMasters {

    private TrainingMasters() {
    }

    /**
     * @param workers      how many workers train at once (Spark's parallelism unless configured)
     * @param workersPerExecutor gradient sharing's workers in each executor (resolved: see GpuAssignment)
     * @param driverHost   the address executors reach the driver on (gradient sharing's Aeron controller)
     */
    @SuppressWarnings("rawtypes")
    /**
     * Gradient sharing's Aeron mesh has no authentication: on a cluster it must bind to the executors' own network,
     * which only the user can name (an executor host may have several interfaces, some of them public).
     *
     * @throws InvalidConfigException when a cluster run would use gradient sharing without a network mask
     */
    public static void requireNetworkMaskOnClusters(JobConfig config, boolean localMaster) {
        if (!localMaster && config.trainingMaster().type() == JobConfig.MasterType.GRADIENT_SHARING
                && config.trainingMaster().gradientSharing().networkMask().isBlank()) {
            throw new InvalidConfigException("training-master.gradient-sharing.network-mask is required on a "
                    + "cluster: the executors' subnet (for example 10.1.0.0/16), the only network gradient sharing's "
                    + "unauthenticated mesh should bind to (README, \"Security\")");
        }
    }

    public static TrainingMaster create(JobConfig config, int workers, int workersPerExecutor,
            String driverHost) {
        JobConfig.Master m = config.trainingMaster();
        int batch = config.train().batchSize();
        return switch (m.type()) {
            case PARAMETER_AVERAGING -> {
                JobConfig.ParameterAveraging pa = m.parameterAveraging();
                yield new ParameterAveragingMaster(new ParameterAveragingTrainingMaster.Builder(workers, batch)
                        .batchSizePerWorker(batch)
                        .averagingFrequency(pa.averagingFrequency())
                        .workerPrefetchNumBatches(pa.prefetch())
                        .aggregationDepth(pa.aggregationDepth())
                        .saveUpdater(pa.keepUpdaterState())
                        .repartionData(Repartition.Always)
                        .rngSeed(config.train().seed())
                        .collectTrainingStats(false));
            }
            case GRADIENT_SHARING -> {
                JobConfig.GradientSharing gs = m.gradientSharing();
                VoidConfiguration.VoidConfigurationBuilder voidConf = VoidConfiguration.builder()
                        .portSupplier(new AeronPortSupplier(gs.port()))
                        .controllerAddress(gs.controllerAddress().isBlank() ? driverHost : gs.controllerAddress());
                if (!gs.networkMask().isBlank()) {
                    voidConf.networkMask(gs.networkMask());
                }
                yield new SharedTrainingMaster.Builder(voidConf.build(), workers, thresholdAlgorithm(gs), batch)
                        .batchSizePerWorker(batch)
                        .workersPerNode(workersPerExecutor)
                        .workerPrefetchNumBatches(gs.prefetch())
                        .residualPostProcessor(residualPostProcessor(gs))
                        // DL4J's default repartitioner splits a path RDD into one-batch partitions, and every
                        // task resets the worker's residual, its queue of received updates and its counts: keep
                        // the job's partitions (one per worker, its share of the epoch) as they are
                        .repartitioner(new NoOpRepartitioner())
                        .rngSeed(config.train().seed())
                        .collectTrainingStats(false)
                        .build();
            }
        };
    }

    /**
     * What DL4J applies to the residual after the step's message: its residual clipping, or none (a post-processor
     * that leaves the residual as it is) when there is no clipping or {@link SecondMessage} clips after its message.
     */
    static ResidualPostProcessor residualPostProcessor(JobConfig.GradientSharing gs) {
        ResidualPostProcessor clipping = residualClipping(gs);
        return clipping == null || gs.secondMessage() > 0 ? new KeepResidual() : clipping;
    }

    /** DL4J's residual clipping as configured; null for none. */
    static ResidualPostProcessor residualClipping(JobConfig.GradientSharing gs) {
        return gs.residualClipping() > 0
                ? new ResidualClippingPostProcessor(gs.residualClipping(), gs.residualClippingEvery())
                : null;
    }

    /** Keeps every bit of update mass until it is sent. */
    static final class KeepResidual implements ResidualPostProcessor {
        @Override
        public void processResidual(int iteration, int epoch, double lastThreshold, INDArray residualVector) {
        }

        @Override
        public ResidualPostProcessor clone() {
            return this;
        }
    }

    static ThresholdAlgorithm thresholdAlgorithm(JobConfig.GradientSharing gs) {
        return switch (gs.thresholdAlgorithm()) {
            // DL4J's decay rate is the factor the threshold may change by per iteration
            case ADAPTIVE -> new AdaptiveThresholdAlgorithm(gs.threshold(), gs.minSparsity(), gs.maxSparsity(),
                    Math.pow(0.5, 1 / gs.thresholdHalvingIterations()));
            case FIXED -> new FixedThresholdAlgorithm(gs.threshold());
            case TARGET_SPARSITY -> new TargetSparsityThresholdAlgorithm(gs.threshold(), gs.targetSparsity(), 0.5);
        };
    }
}
