package io.seresnext.job.train;

import io.seresnext.job.config.JobConfig;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Linear warm-up to the peak rate, then cosine decay to zero, step decay, or constant. Counted in iterations of
 * one worker: the driver sets the graph's iteration count at the start of every epoch, so the schedule does not
 * depend on how a training master advances the count within an epoch. Part of the updater configuration, so it
 * travels (as JSON) with the model to the workers and into saved models.
 */
public final class LearningRateSchedule implements ISchedule {

    @JsonProperty private final double peak;
    @JsonProperty private final int iterationsPerEpoch;
    @JsonProperty private final double warmupEpochs;
    @JsonProperty private final int epochs;
    @JsonProperty private final JobConfig.Schedule decay;
    // an array, not an immutable List: the configuration crosses to executors through Spark's Kryo, which cannot
    // rebuild Java's immutable collections (StandaloneClusterIT, SparkKryoTest)
    @JsonProperty private final int[] stepEpochs;
    @JsonProperty private final double stepFactor;

    @JsonCreator
    public LearningRateSchedule(@JsonProperty("peak") double peak,
                                @JsonProperty("iterationsPerEpoch") int iterationsPerEpoch,
                                @JsonProperty("warmupEpochs") double warmupEpochs,
                                @JsonProperty("epochs") int epochs,
                                @JsonProperty("decay") JobConfig.Schedule decay,
                                @JsonProperty("stepEpochs") int[] stepEpochs,
                                @JsonProperty("stepFactor") double stepFactor) {
        this.peak = peak;
        this.iterationsPerEpoch = Math.max(1, iterationsPerEpoch);
        this.warmupEpochs = warmupEpochs;
        this.epochs = epochs;
        this.decay = decay;
        this.stepEpochs = stepEpochs.clone();
        this.stepFactor = stepFactor;
    }

    /** The peak rate, scaled with the global batch when the configuration asks for it. */
    public static LearningRateSchedule of(JobConfig.Train t, int iterationsPerEpoch, int globalBatch) {
        double peak = t.scaleLearningRate() ? t.learningRate() * globalBatch / t.referenceBatch() : t.learningRate();
        return new LearningRateSchedule(peak, iterationsPerEpoch, t.warmupEpochs(), t.epochs(), t.schedule(),
                t.stepEpochs().stream().mapToInt(Integer::intValue).toArray(), t.stepFactor());
    }

    /** The same schedule with every rate multiplied by {@code factor}. */
    public LearningRateSchedule scaled(double factor) {
        return new LearningRateSchedule(peak * factor, iterationsPerEpoch, warmupEpochs, epochs, decay, stepEpochs,
                stepFactor);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        double at = (iteration + 1) / (double) iterationsPerEpoch; // in epochs, after this step
        if (at < warmupEpochs) {
            return peak * at / warmupEpochs;
        }
        return switch (decay) {
            case CONSTANT -> peak;
            case COSINE -> {
                double progress = Math.min(1, (at - warmupEpochs) / Math.max(1e-9, epochs - warmupEpochs));
                yield peak * 0.5 * (1 + Math.cos(Math.PI * progress));
            }
            case STEP -> {
                double rate = peak;
                for (int step : stepEpochs) {
                    if (at > step) {
                        rate *= stepFactor;
                    }
                }
                yield rate;
            }
        };
    }

    @Override
    public ISchedule clone() {
        return new LearningRateSchedule(peak, iterationsPerEpoch, warmupEpochs, epochs, decay, stepEpochs, stepFactor);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LearningRateSchedule s && peak == s.peak && iterationsPerEpoch == s.iterationsPerEpoch
                && warmupEpochs == s.warmupEpochs && epochs == s.epochs && decay == s.decay
                && java.util.Arrays.equals(stepEpochs, s.stepEpochs) && stepFactor == s.stepFactor;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(peak, iterationsPerEpoch, warmupEpochs, epochs, decay,
                java.util.Arrays.hashCode(stepEpochs), stepFactor);
    }

    public int iterationsPerEpoch() {
        return iterationsPerEpoch;
    }
}
