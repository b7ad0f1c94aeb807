package io.seresnext.job.train;

import java.io.Serializable;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.EncodingHandler;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithmReducer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A second threshold message per step, for the update mass the first could not carry. DL4J's threshold encoding
 * moves every entry whose residual reaches the threshold by exactly the threshold, so an entry whose update is
 * several thresholds large takes as many steps to arrive, and residual clipping discards what piles up meanwhile:
 * on the small benchmarks this quantisation, not the sparsity, was most of gradient sharing's gap to one worker
 * (BENCHMARKS.md). After the step's own message this listener encodes the worker's residual once more, at
 * {@code unit} times the step's threshold; only entries still that large are in it, so it is small.
 *
 * <p>One extra message, not more: DL4J queues each worker's messages for every replica of the executor in a queue
 * of twice the replica count, drained once per step, and its barriers keep the replicas in step; one step's
 * message plus one extra per replica fills it exactly, a third message deadlocks the replicas.
 *
 * <p>The extra message must not steer the adaptive threshold (it is sparse by construction): {@link #threshold}
 * wraps the configured algorithm so that the next step adapts from the step's own message. No extra message follows
 * a dense (bitmap) one, whose size does not depend on what it carries. Gradient sharing only; tested in
 * SecondMessageTest.
 */
public final class SecondMessage extends BaseTrainingListener implements Serializable {

    /** set while this thread encodes the extra message */
    private static final ThreadLocal<Boolean> EXTRA = ThreadLocal.withInitial(() -> false);

    private static final Field BITMAP_MODE = field(EncodingHandler.class, "bitmapMode");

    /** the extra message's threshold in multiples of the step's */
    private final double unit;

    public SecondMessage(double unit) {
        if (!(unit > 0)) {
            throw new IllegalArgumentException("the second message's threshold must be a positive multiple of the "
                    + "step's, got " + unit);
        }
        this.unit = unit;
    }

    /** The configured threshold algorithm, made to give the extra message its threshold and otherwise ignore it. */
    public static ThresholdAlgorithm threshold(ThresholdAlgorithm configured, double unit) {
        return new StepThreshold(configured, unit);
    }

    /** Runs on the worker's training thread after the step's message was sent and applied. */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!(model instanceof ComputationGraph graph) || graph.getOptimizer() == null) {
            return;
        }
        GradientsAccumulator accumulator = graph.getOptimizer().getGradientsAccumulator();
        if (!(accumulator instanceof EncodedGradientsAccumulator encoded)
                || !(encoded.getHandler() instanceof EncodingHandler handler) || nextMessageIsDense(handler)) {
            return;
        }
        ThreadLocal<INDArray> holder = ResidualCarryOver.threadResidual(model);
        INDArray residual = holder == null ? null : holder.get();
        if (residual != null) {
            // encodes, sends to every replica and subtracts what it sent from the residual
            asExtraMessage(() -> handler.broadcastUpdates(residual, iteration, epoch));
        }
    }

    /** Runs encoding work that the threshold algorithm must treat as the current step's extra message. */
    static <T> T asExtraMessage(Supplier<T> work) {
        EXTRA.set(true);
        try {
            return work.get();
        } finally {
            EXTRA.set(false);
        }
    }

    /** DL4J's handler keeps per thread whether its next message is a bitmap (after a dense one). */
    @SuppressWarnings("unchecked")
    private static boolean nextMessageIsDense(EncodingHandler handler) {
        try {
            AtomicBoolean bitmap = ((ThreadLocal<AtomicBoolean>) BITMAP_MODE.get(handler)).get();
            return bitmap == null || bitmap.get();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read DL4J's encoding mode", e);
        }
    }

    private static Field field(Class<?> type, String name) {
        try {
            Field f = type.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("DL4J's " + type.getSimpleName() + " has no field '" + name
                    + "'; SecondMessage needs updating for this DL4J version", e);
        }
    }

    /**
     * Adapts once per step: the extra message gets {@code unit} times the step's threshold, and the next step adapts
     * from the sparsity of the step's own message (DL4J reports the last message's, here the extra one's). DL4J
     * clones one instance per worker thread.
     */
    static final class StepThreshold implements ThresholdAlgorithm {
        private final ThresholdAlgorithm configured;
        private final double unit;
        private double threshold = Double.NaN;
        private boolean extraSinceStep;
        private Boolean stepWasDense;
        private Double stepSparsity;

        StepThreshold(ThresholdAlgorithm configured, double unit) {
            this.configured = configured;
            this.unit = unit;
        }

        @Override
        public double calculateThreshold(int iteration, int epoch, Double lastThreshold, Boolean lastWasDense,
                Double lastSparsityRatio, INDArray updatesPlusResidual) {
            if (EXTRA.get() && !Double.isNaN(threshold)) {
                extraSinceStep = true;   // the step's own message is the last one so far
                stepWasDense = lastWasDense;
                stepSparsity = lastSparsityRatio;
                return unit * threshold;
            }
            if (extraSinceStep) {
                extraSinceStep = false;
                lastThreshold = threshold;
                lastWasDense = stepWasDense;
                lastSparsityRatio = stepSparsity;
            }
            threshold = configured.calculateThreshold(iteration, epoch, lastThreshold, lastWasDense,
                    lastSparsityRatio, updatesPlusResidual);
            return threshold;
        }

        @Override
        public ThresholdAlgorithmReducer newReducer() {
            return new Reducer(configured.newReducer(), unit);
        }

        @Override
        public StepThreshold clone() {
            StepThreshold copy = new StepThreshold(configured.clone(), unit);
            copy.threshold = threshold;
            return copy;
        }

        @Override
        public String toString() {
            return "StepThreshold(" + configured + ", second message at " + unit + "x)";
        }
    }

    /** Averages the wrapped algorithms across worker threads, as DL4J does between fits. */
    private record Reducer(ThresholdAlgorithmReducer configured, double unit) implements ThresholdAlgorithmReducer {
        @Override
        public void add(ThresholdAlgorithm instance) {
            configured.add(instance instanceof StepThreshold s ? s.configured : instance);
        }

        @Override
        public ThresholdAlgorithmReducer merge(ThresholdAlgorithmReducer other) {
            configured.merge(other instanceof Reducer r ? r.configured : other);
            return this;
        }

        @Override
        public ThresholdAlgorithm getFinalResult() {
            ThresholdAlgorithm result = configured.getFinalResult();
            return result == null ? null : new StepThreshold(result, unit);
        }
    }
}
