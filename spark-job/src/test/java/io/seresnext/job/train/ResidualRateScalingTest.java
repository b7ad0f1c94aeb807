package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * {@link ResidualRateScaling} against DL4J's own accumulator. The threshold is so high that nothing is sent, so no
 * parameter moves (batch norm's running statistics included: they travel as updates too), every step on the same
 * batch computes the same gradient, and the residual is the sum of the steps' updates.
 */
class ResidualRateScalingTest {

    private static final double NEVER_SENT = 1e3;
    private static final ISchedule HALVED_AFTER_FIRST_STEP = new MapSchedule.Builder(ScheduleType.ITERATION)
            .add(0, 0.1).add(1, 0.05).build();

    /** The residual after two steps on the same batch. */
    private static INDArray residualAfterTwoSteps(Sgd updater, TrainingListener... listeners) {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8).withNumClasses(3),
                new NeuralNetConfiguration.Builder().seed(1).updater(updater).dataType(DataType.FLOAT)));
        net.init();
        EncodedGradientsAccumulator accumulator = new EncodedGradientsAccumulator(1,
                new FixedThresholdAlgorithm(NEVER_SENT), new TrainingMasters.KeepResidual(), false);
        accumulator.fallbackToSingleConsumerMode(true);
        accumulator.touch();
        net.setGradientsAccumulator(accumulator);
        net.setListeners(listeners);
        INDArray initial = net.params().dup();
        for (int step = 0; step < 2; step++) {
            net.fit(new SingletonDataSetIterator(batch()));
        }
        assertEquals(2, net.getIterationCount());
        assertEquals(initial, net.params(), "nothing may be sent at this threshold");
        return ResidualCarryOver.threadResidual(net).get().dup();
    }

    private static DataSet batch() {
        Nd4j.getRandom().setSeed(7);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.eye(3).castTo(DataType.FLOAT)
                .getRows(0, 1, 2, 1));
    }

    @Test
    @Timeout(300)
    void anUpdateNotYetSentIsHeldAtTheRateOfTheStepThatWillSendIt() {
        // both updates at the second step's rate; batch norm's statistics are not scaled by any rate
        INDArray expected = residualAfterTwoSteps(new Sgd(0.05));
        INDArray scaled = residualAfterTwoSteps(new Sgd(HALVED_AFTER_FIRST_STEP),
                new ResidualRateScaling(HALVED_AFTER_FIRST_STEP));
        INDArray unscaled = residualAfterTwoSteps(new Sgd(HALVED_AFTER_FIRST_STEP));

        assertEquals(0, relativeError(scaled, expected), 1e-5,
                "the residual should hold both updates at the second step's rate");
        assertTrue(relativeError(unscaled, expected) > 0.1,
                "DL4J alone holds the first update at the first step's rate");
    }

    private static double relativeError(INDArray actual, INDArray expected) {
        return actual.sub(expected).norm1Number().doubleValue() / expected.norm1Number().doubleValue();
    }
}
