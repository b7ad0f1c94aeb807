package io.seresnext.job.config;

import io.seresnext.job.data.RandomResizedCrop;
import io.seresnext.model.GroupedConvForm;
import io.seresnext.model.ModelSpec;
import io.seresnext.model.Presets;
import java.io.Serializable;
import java.util.List;

/**
 * The training job's whole configuration: typed, immutable, and valid once built (only {@link JobConfigLoader}
 * builds it, and that is where every check lives). {@link #source()} is the resolved HOCON it came from, stored
 * with the model so that a run can be repeated or resumed.
 */
public record JobConfig(String input, String output, String master, boolean overwrite, boolean resume,
                        boolean rerunSafe, String initModel, String register, Gate gate, Model model, Data data,
                        Train train,
                        Master trainingMaster, String source)
        implements Serializable {

    /**
     * The quality gate for promotion: with a registry, the new version becomes current only if its top-1 on the
     * fixed evaluation set {@code input} is at least the current version's minus {@code tolerance}, and at least
     * {@code minTop1}.
     */
    public record Gate(String input, double tolerance, double minTop1) implements Serializable {
        public boolean enabled() {
            return !input.isBlank();
        }
    }

    public record Model(String preset, int imageSize, GroupedConvForm form, boolean zeroInitResidualGamma)
            implements Serializable {
        /** The preset at this image size and class count. */
        public ModelSpec spec(int numClasses) {
            return Presets.get(preset).withInput(3, imageSize, imageSize).withNumClasses(numClasses)
                    .withGroupedConvForm(form).withZeroInitResidualGamma(zeroInitResidualGamma);
        }
    }

    public enum Layout { AUTO, TRAIN_VAL, SINGLE }

    /** {@code resizedCrop}: the training crops' random-resized window, or null for fixed-size random crops. */
    public record Data(boolean createDemo, Layout layout, double validationFraction, long splitSeed, int storedSize, int shardImages,
                       String cache, double maxBadFraction, List<Float> mean, List<Float> std,
                       boolean horizontalFlip, int shuffleRun, RandomResizedCrop resizedCrop)
            implements Serializable {
        /** These options with another stored size (a model's, when scoring images for it). */
        public Data withStoredSize(int size) {
            return new Data(createDemo, layout, validationFraction, splitSeed, size, shardImages, cache,
                    maxBadFraction, mean, std, horizontalFlip, shuffleRun, resizedCrop);
        }

        /** RGB means and deviations as arrays, for the loader's inner loop. */
        public float[] meanArray() {
            return floats(mean);
        }

        public float[] stdArray() {
            return floats(std);
        }

        private static float[] floats(List<Float> values) {
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i);
            }
            return out;
        }
    }

    public enum Optimizer { SGD, ADAM }

    public enum Schedule { COSINE, STEP, CONSTANT }

    public record Train(int epochs, int batchSize, Optimizer optimizer, double learningRate, double momentum,
                        double weightDecay, double warmupEpochs, Schedule schedule, List<Integer> stepEpochs,
                        double stepFactor, boolean scaleLearningRate, int referenceBatch, long seed, int logEvery,
                        int keepCheckpoints, int evalBatchSize) implements Serializable {
    }

    public enum MasterType { PARAMETER_AVERAGING, GRADIENT_SHARING }

    public enum ThresholdAlgorithm { ADAPTIVE, FIXED, TARGET_SPARSITY }

    public record ParameterAveraging(int averagingFrequency, int prefetch, int aggregationDepth,
                                     boolean keepUpdaterState) implements Serializable {
    }

    public record GradientSharing(ThresholdAlgorithm thresholdAlgorithm, double threshold, double targetSparsity,
                                  double minSparsity, double maxSparsity, double thresholdHalvingIterations,
                                  int workersPerExecutor, int prefetch, String controllerAddress,
                                  String networkMask, int port, int batchNormRecalibration,
                                  double residualClipping, int residualClippingEvery, double secondMessage,
                                  boolean keepResidual,
                                  boolean replicaResync, boolean averageUpdates, boolean diagnostics) implements Serializable {
    }

    public record Master(MasterType type, int workers, ParameterAveraging parameterAveraging,
                         GradientSharing gradientSharing) implements Serializable {
    }

    /** This configuration as a --resume of the run under its output. */
    public JobConfig resuming() {
        return new JobConfig(input, output, master, false, true, rerunSafe, "", register, gate, model, data, train,
                trainingMaster, source);
    }

    /** A stored run's configuration, resumed here: this Spark master, the stored everything else. */
    public JobConfig resumedOn(String newMaster) {
        return new JobConfig(input, output, newMaster, false, true, rerunSafe, "", register, gate, model, data, train,
                trainingMaster, source);
    }
}
