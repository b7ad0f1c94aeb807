package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link SecondMessage} against DL4J's own accumulator and threshold encoding: one training step of the same
 * network on the same batch, with DL4J's one message per step and with a second one.
 */
class SecondMessageTest {

    private static DataSet batch() {
        Nd4j.getRandom().setSeed(7);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.eye(3).castTo(DataType.FLOAT)
                .getRows(0, 1, 2, 0));
    }

    /** One step on a thread of its own (a Spark task's), the residual it leaves behind; unit 0: no second message. */
    private static INDArray residualAfterOneStep(double threshold, double unit) throws Exception {
        ComputationGraph net = ResidualCarryOverTest.network();
        EncodedGradientsAccumulator accumulator = new EncodedGradientsAccumulator(1, unit > 0
                ? SecondMessage.threshold(new FixedThresholdAlgorithm(threshold), unit)
                : new FixedThresholdAlgorithm(threshold), new TrainingMasters.KeepResidual(), false);
        accumulator.fallbackToSingleConsumerMode(true);
        net.setGradientsAccumulator(accumulator);
        if (unit > 0) {
            net.setListeners(new SecondMessage(unit));
        }
        return ResidualCarryOverTest.fitOnNewThread(net, accumulator, batch());
    }

    @Test
    @Timeout(300)
    void theSecondMessageMovesEveryEntryStillAtItsThresholdByThatThreshold() throws Exception {
        INDArray update = residualAfterOneStep(1e3, 0);   // nothing reaches this threshold: the residual is the update
        double threshold = update.amaxNumber().doubleValue() / 8;

        INDArray afterStepMessage = residualAfterOneStep(threshold, 0);
        for (double unit : new double[] {1, 2}) {
            INDArray afterSecond = residualAfterOneStep(threshold, unit);

            double second = unit * threshold;
            INDArray stillLarge = Transforms.abs(afterStepMessage).gte(second).castTo(DataType.FLOAT);
            assertTrue(stillLarge.sumNumber().longValue() > 0, "the test needs entries the step's message could not "
                    + "send in full (threshold " + threshold + ")");
            INDArray expected = afterStepMessage.sub(stillLarge.mul(Transforms.sign(afterStepMessage)).mul(second));
            double error = afterSecond.sub(expected).norm1Number().doubleValue() / expected.norm1Number().doubleValue();
            assertTrue(error < 1e-5, "with a second message at " + unit + "x the residual should be the first "
                    + "message's minus " + second + " on every entry at least that large (relative L1 error " + error
                    + "); without it nothing more is sent");
        }
    }

    @Test
    void theAdaptiveThresholdAdaptsToTheStepsOwnMessageNotToTheSecond() {
        double initial = 1e-3;
        ThresholdAlgorithm threshold = SecondMessage.threshold(
                new AdaptiveThresholdAlgorithm(initial, 1e-3, 1e-2, 0.5), 3).clone();

        assertEquals(initial, threshold.calculateThreshold(0, 0, null, null, null, null), 0);
        // the step's message carried 5 % of the entries (too dense); the second message at 3x is sparse
        double extraThreshold = SecondMessage.asExtraMessage(() ->
                threshold.calculateThreshold(0, 0, initial, false, 0.05, null));
        double next = threshold.calculateThreshold(1, 0, 3 * initial, false, 1e-5, null);

        assertEquals(3 * initial, extraThreshold, 1e-15, "the second message's threshold is 3x the step's");
        assertEquals(2 * initial, next, 1e-12, "DL4J reports the last (second) message's threshold and "
                + "sparsity, 3e-3 and 1e-5, which would lower 3e-3; the step's own 1e-3 at 5 % must be raised");
    }
}
