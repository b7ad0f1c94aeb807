package io.seresnext.job.train;

import java.io.Serializable;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.WeakHashMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Works around a dl4j-spark-parameterserver 1.0.0-M2 bug: {@code SharedTrainingWrapper} calls
 * {@code EncodedGradientsAccumulator.reset()} after every fit (one per epoch here), which drops each worker's
 * residual, the update mass the threshold encoding has not sent yet. Slowly changing parameters keep their whole
 * update in the residual for many steps, so every epoch lost part of what the workers had learnt. The residual also
 * lives in a thread-local, and each epoch's Spark task may run on another thread.
 *
 * <p>This listener remembers each replica's residual after every step and, at the first step after a reset or on a
 * new thread, puts the same array back before the updater's output is added to it, so nothing computed is dropped.
 * Gradient sharing only. Tested in ResidualCarryOverTest.
 */
public final class ResidualCarryOver extends BaseTrainingListener implements Serializable {

    /** per JVM, per replica: outlives the listener instances the job sets each epoch */
    private static final Map<Model, INDArray> RESIDUALS = new WeakHashMap<>();

    private static final Field THREAD_RESIDUAL = residualField();

    /** Runs after backprop and before the updater and the accumulator see this step's update. */
    @Override
    public void onGradientCalculation(Model model) {
        ThreadLocal<INDArray> current = threadResidual(model);
        if (current == null || current.get() != null) {
            return;
        }
        INDArray kept;
        synchronized (RESIDUALS) {
            kept = RESIDUALS.get(model);
        }
        if (kept != null) {
            current.set(kept);
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        ThreadLocal<INDArray> current = threadResidual(model);
        INDArray residual = current == null ? null : current.get();
        if (residual != null) {
            synchronized (RESIDUALS) {
                RESIDUALS.put(model, residual);
            }
        }
    }

    /** The accumulator's per-thread residual holder, or null when the model shares no updates. */
    @SuppressWarnings("unchecked")
    static ThreadLocal<INDArray> threadResidual(Model model) {
        if (!(model instanceof ComputationGraph graph) || graph.getOptimizer() == null) {
            return null;
        }
        GradientsAccumulator accumulator = graph.getOptimizer().getGradientsAccumulator();
        if (!(accumulator instanceof EncodedGradientsAccumulator)) {
            return null;
        }
        try {
            return (ThreadLocal<INDArray>) THREAD_RESIDUAL.get(accumulator);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read DL4J's gradient-sharing residual", e);
        }
    }

    private static Field residualField() {
        try {
            Field f = EncodedGradientsAccumulator.class.getDeclaredField("accumulator");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("DL4J's EncodedGradientsAccumulator has no residual field 'accumulator';"
                    + " ResidualCarryOver needs updating for this DL4J version", e);
        }
    }
}
