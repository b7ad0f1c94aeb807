package io.seresnext.job.train;

import java.io.Serializable;
import java.util.IdentityHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Works around a dl4j-spark-parameterserver 1.0.0-M2 bug: every gradient-sharing task sets the worker network's
 * iteration and epoch counts to the parameter server's start position, 0 in an executor JVM (in local mode the
 * driver's parameter server hides it). So each task restarted the learning-rate schedule at its first warm-up step:
 * every epoch, and with DL4J's default repartitioner (one batch per task, see TrainingMasters) every step. This
 * listener sets the counts after each step's gradient and before the updater reads them: {@code (epoch - 1) *
 * iterationsPerEpoch + steps done in this epoch}. For gradient sharing only ({@link ParameterAveragingMaster} keeps
 * the counts for parameter averaging). Tested in TrainingMastersTest.
 */
public final class IterationAnchorListener extends BaseTrainingListener implements Serializable {

    private final int iterationsPerEpoch;
    /** per worker replica (they may share this listener): {epoch, steps done in it} */
    private transient Map<Model, int[]> progress;

    public IterationAnchorListener(int iterationsPerEpoch) {
        this.iterationsPerEpoch = iterationsPerEpoch;
    }

    private int[] progress(Model model) {
        if (progress == null) {
            progress = new IdentityHashMap<>();
        }
        int current = WorkerEpoch.current();
        int[] p = progress.computeIfAbsent(model, m -> new int[] {current, 0});
        if (p[0] != current) {
            p[0] = current;
            p[1] = 0;
        }
        return p;
    }

    /** Runs after backprop and before the updater, which reads the iteration count for the learning rate. */
    @Override
    public synchronized void onGradientCalculation(Model model) {
        int[] p = progress(model);
        var conf = ((ComputationGraph) model).getConfiguration();
        conf.setIterationCount((p[0] - 1) * iterationsPerEpoch + p[1]);
        conf.setEpochCount(p[0] - 1);
    }

    @Override
    public synchronized void iterationDone(Model model, int iteration, int epoch) {
        progress(model)[1]++;
    }
}
