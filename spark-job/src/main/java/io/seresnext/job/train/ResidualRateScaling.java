package io.seresnext.job.train;

import java.io.Serializable;
import java.util.Map;
import java.util.WeakHashMap;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Keeps gradient sharing's residual at the learning rate of the step that will send it. DL4J shares updates, not
 * gradients: what a worker has not sent yet is held already multiplied by the rate of the step that computed it.
 * Sent later, under a cosine schedule near its end, it moves the parameters as a step at the old, larger rate
 * would, so late in a run stale update mass keeps arriving after the rate has fallen. Multiplying the residual by
 * {@code rate(next step) / rate(this step)} after every step makes it hold the pending gradients at the current
 * rate, as gradient-sharing schemes that accumulate gradients do. Entries whose updater ignores the rate (batch
 * norm's running statistics, which travel the same way) keep their residual as it is. Gradient sharing only; runs
 * after DL4J has encoded and sent this step's update. Tested in ResidualRateScalingTest.
 */
public final class ResidualRateScaling extends BaseTrainingListener implements Serializable {

    private final ISchedule schedule;
    /** per replica: 1 where the updater applies the learning rate, 0 elsewhere, in the flat gradient's layout */
    private transient Map<Model, INDArray> rateScaled;

    /** @param schedule the rate the workers' updater applies (any constant factor cancels) */
    public ResidualRateScaling(ISchedule schedule) {
        this.schedule = schedule;
    }

    /** DL4J calls this with the iteration count the updater just used, before incrementing it. */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        ThreadLocal<INDArray> holder = ResidualCarryOver.threadResidual(model);
        INDArray residual = holder == null ? null : holder.get();
        double used = schedule.valueAt(iteration, epoch);
        if (residual == null || !(used > 0)) {
            return;
        }
        double ratio = schedule.valueAt(iteration + 1, epoch) / used;
        if (ratio == 1) {
            return;
        }
        INDArray mask = rateScaledEntries((ComputationGraph) model);
        // residual *= 1 + mask * (ratio - 1)
        residual.addi(residual.mul(mask.reshape(residual.shape())).muli(ratio - 1));
    }

    private synchronized INDArray rateScaledEntries(ComputationGraph graph) {
        if (rateScaled == null) {
            rateScaled = new WeakHashMap<>();
        }
        return rateScaled.computeIfAbsent(graph, m -> mask((ComputationGraph) m));
    }

    /** Every parameter view is a contiguous slice of the flat parameter vector, laid out as the gradient is. */
    static INDArray mask(ComputationGraph graph) {
        INDArray flat = graph.params();
        INDArray mask = Nd4j.zeros(flat.dataType(), flat.length());
        for (Layer layer : graph.getLayers()) {
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                if (layer.conf().getLayer().getUpdaterByParam(p.getKey()) instanceof NoOp) {
                    continue;
                }
                long from = p.getValue().offset() - flat.offset();
                mask.get(NDArrayIndex.interval(from, from + p.getValue().length())).assign(1);
            }
        }
        return mask;
    }
}
