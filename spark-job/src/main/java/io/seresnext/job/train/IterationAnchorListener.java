package io.seresnext.job.train;

import java.io.Serializable;
import java.util.IdentityHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Works around a dl4j-spark-parameterserver 1.0.0-M2 bug: gradient-sharing workers start every fit at the
 * parameter server's iteration count (0 in a fresh JVM, so a resumed run would replay its warm-up), not at the
 * count of the network they were sent, which is what the learning-rate schedule reads. After each step this
 * listener sets the worker's count to where the epoch's plan says it is ({@code (epoch - 1) * iterationsPerEpoch
 * + steps done in this epoch}); only the first step of an epoch runs at the server's count. For gradient sharing
 * only ({@link ParameterAveragingMaster} keeps the counts for parameter averaging). Tested in TrainingMastersTest.
 */
public final class IterationAnchorListener extends BaseTrainingListener implements Serializable {

    private final int iterationsPerEpoch;
    /** per worker replica (they may share this listener): {epoch, steps done in it} */
    private transient Map<Model, int[]> progress;

    public IterationAnchorListener(int iterationsPerEpoch) {
        this.iterationsPerEpoch = iterationsPerEpoch;
    }

    @Override
    public synchronized void iterationDone(Model model, int iteration, int epoch) {
        if (progress == null) {
            progress = new IdentityHashMap<>();
        }
        int current = WorkerEpoch.current();
        int[] p = progress.computeIfAbsent(model, m -> new int[] {current, 0});
        if (p[0] != current) {
            p[0] = current;
            p[1] = 0;
        }
        p[1]++;
        // DL4J adds 1 after the listeners run, so the next step runs at the planned count
        ((ComputationGraph) model).getConfiguration().setIterationCount((current - 1) * iterationsPerEpoch + p[1] - 1);
    }
}
