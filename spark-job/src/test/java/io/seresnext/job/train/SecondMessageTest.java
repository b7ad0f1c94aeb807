package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.EncodingHandler;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithmReducer;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.ResidualClippingPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link SecondMessage} against DL4J's own accumulator and threshold encoding: two training steps of the same
 * network on the same batches (DL4J's first message on a thread is a dense bitmap, the second a sparse threshold
 * message), with DL4J's one message per step and with a second one.
 */
class SecondMessageTest {

    /** the second message goes out after the second step and is applied at the third */
    private static final int STEPS = 2;

    private static List<DataSet> batches(int steps) {
        Nd4j.getRandom().setSeed(7);
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            batches.add(new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.eye(3).castTo(DataType.FLOAT)
                    .getRows(0, 1, 2, i % 3)));
        }
        return batches;
    }

    /** The worker's residual and what its handler recorded of the last step's message. */
    private record AfterSteps(INDArray residual, SecondMessage.StepMessage step) {
    }

    private static AfterSteps train(ThresholdAlgorithm threshold, SecondMessage secondMessage) throws Exception {
        return train(threshold, secondMessage, STEPS);
    }

    /** Steps on a thread of its own (a Spark task's); secondMessage null: DL4J's one message. */
    private static AfterSteps train(ThresholdAlgorithm threshold, SecondMessage secondMessage, int steps)
            throws Exception {
        ComputationGraph net = ResidualCarryOverTest.network();
        EncodedGradientsAccumulator accumulator = new EncodedGradientsAccumulator(1, threshold,
                new TrainingMasters.KeepResidual(), false);
        accumulator.fallbackToSingleConsumerMode(true);
        net.setGradientsAccumulator(accumulator);
        if (secondMessage != null) {
            net.setListeners(secondMessage);
        }
        return ResidualCarryOverTest.onNewTaskThread(accumulator, () -> {
            net.fit(new ExistingDataSetIterator(batches(steps)));
            return new AfterSteps(ResidualCarryOver.threadResidual(net).get().dup(),
                    SecondMessage.StepMessage.of((EncodingHandler) accumulator.getHandler()));
        });
    }

    /** A threshold at which the steps' messages leave entries of several thresholds in the residual. */
    private static double threshold() throws Exception {
        INDArray updates = train(new FixedThresholdAlgorithm(1e3), null).residual();   // nothing sent
        return updates.amaxNumber().doubleValue() / 16;
    }

    private static long changedEntries(INDArray a, INDArray b) {
        return a.neq(b).castTo(DataType.INT32).sumNumber().longValue();
    }

    @Test
    @Timeout(300)
    void theSecondMessageMovesEveryEntryStillAtItsThresholdByThatThreshold() throws Exception {
        double threshold = threshold();
        AfterSteps oneMessage = train(new FixedThresholdAlgorithm(threshold), null);
        assertFalse(oneMessage.step().dense(), "the test needs a sparse message at the last step");

        for (double unit : new double[] {1, 2}) {
            INDArray afterSecond = train(new FixedThresholdAlgorithm(threshold), new SecondMessage(unit, 1, null))
                    .residual();

            double second = unit * threshold;
            INDArray afterStep = oneMessage.residual();
            INDArray stillLarge = Transforms.abs(afterStep).gte(second).castTo(DataType.FLOAT);
            assertTrue(stillLarge.sumNumber().longValue() > 0, "the test needs entries the step's message could not "
                    + "send in full (threshold " + threshold + ")");
            INDArray expected = afterStep.sub(stillLarge.mul(Transforms.sign(afterStep)).mul(second));
            double error = afterSecond.sub(expected).norm1Number().doubleValue() / expected.norm1Number().doubleValue();
            assertTrue(error < 1e-5, "with a second message at " + unit + "x the residual should be the first "
                    + "message's minus " + second + " on every entry at least that large (relative L1 error " + error
                    + "); without it nothing more is sent");
        }
    }

    @Test
    @Timeout(300)
    void theSecondMessageCarriesNoMoreEntriesThanItsOwnBudget() throws Exception {
        double threshold = threshold();
        AfterSteps oneMessage = train(new FixedThresholdAlgorithm(threshold), null);
        long length = oneMessage.residual().length();
        long stillLarge = Transforms.abs(oneMessage.residual()).gte(threshold).castTo(DataType.INT32)
                .sumNumber().longValue();
        int room = 3;
        assertTrue(stillLarge > room, "the test needs more entries left to send (" + stillLarge + ") than the budget "
                + "leaves room for");
        assertTrue(oneMessage.step().entries(length) > room, "the test needs a step's message larger than the "
                + "budget, so that a budget shared with it would leave the second message nothing");

        INDArray capped = train(new FixedThresholdAlgorithm(threshold), new SecondMessage(1, (room + 0.5) / length,
                null)).residual();
        assertEquals(room, changedEntries(capped, oneMessage.residual()), "a budget of " + room + " entries, whatever "
                + "the step's message carried");

        double one = 1.0 / length;   // room for one entry: DL4J's encoder sends two or none
        INDArray none = train(new FixedThresholdAlgorithm(threshold), new SecondMessage(1, one, null)).residual();
        assertEquals(0, changedEntries(none, oneMessage.residual()), "no second message below two entries");
    }

    @Test
    @Timeout(300)
    void theResidualIsClippedAfterTheSecondMessageNotBeforeIt() throws Exception {
        double threshold = threshold();
        AfterSteps oneMessage = train(new FixedThresholdAlgorithm(threshold), null);
        double bound = 2 * threshold;
        // DL4J's clipping every step (it skips iteration 0, where the step's message was dense and none followed)
        INDArray clipped = train(new FixedThresholdAlgorithm(threshold), new SecondMessage(1, 1,
                new ResidualClippingPostProcessor(2, 1))).residual();

        INDArray afterStep = oneMessage.residual();
        INDArray stillLarge = Transforms.abs(afterStep).gte(threshold).castTo(DataType.FLOAT);
        INDArray afterSecond = afterStep.sub(stillLarge.mul(Transforms.sign(afterStep)).mul(threshold));
        assertTrue(Transforms.abs(afterSecond).gt(bound).castTo(DataType.INT32).sumNumber().longValue() > 0,
                "the test needs entries the clipping bounds after the second message");
        INDArray expected = Transforms.min(Transforms.max(afterSecond, -bound), bound);
        double error = clipped.sub(expected).norm1Number().doubleValue() / expected.norm1Number().doubleValue();
        assertTrue(error < 1e-5, "the residual should be the step's minus the second message, clipped to +-" + bound
                + " (relative L1 error " + error + "); clipped first, the second message would have sent less");
    }

    @Test
    @Timeout(300)
    void dl4jsThresholdAlgorithmSeesOnlyTheStepsOwnMessages() throws Exception {
        double threshold = threshold();
        RecordingThreshold recorder = new RecordingThreshold(threshold);
        int steps = STEPS + 1;
        train(recorder, new SecondMessage(3, 1, null), steps);

        assertEquals(steps, recorder.lastThresholds.size(), "one threshold per step, none for the second message");
        for (int i = 1; i < steps; i++) {
            assertEquals(threshold, recorder.lastThresholds.get(i), 1e-12, "step " + i + " must adapt from the "
                    + "step's own message, not from the second message at 3x");
        }
    }

    /** A fixed threshold that records the last message's threshold DL4J reports at every step. */
    private static final class RecordingThreshold implements ThresholdAlgorithm {
        final List<Double> lastThresholds = new ArrayList<>();
        private final double threshold;

        RecordingThreshold(double threshold) {
            this.threshold = threshold;
        }

        @Override
        public double calculateThreshold(int iteration, int epoch, Double lastThreshold, Boolean lastWasDense,
                Double lastSparsityRatio, INDArray updatesPlusResidual) {
            lastThresholds.add(lastThreshold);
            return threshold;
        }

        @Override
        public ThresholdAlgorithmReducer newReducer() {
            return new FixedThresholdAlgorithm(threshold).newReducer();
        }

        @Override
        public ThresholdAlgorithm clone() {
            return this;   // DL4J clones one per thread: the test has one thread and wants its record
        }
    }
}
