package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Precise batch-norm statistics: what gradient sharing's lagging running statistics are replaced with. */
class BatchNormRecalibrationTest {

    private static final JobConfig CONFIG = TestJobs.config(TestJobs.small("file:///in", "file:///out"));

    private static ComputationGraph network() {
        return NetworkFactory.fresh(CONFIG, 3, LearningRateSchedule.of(CONFIG.train(), 10, 16));
    }

    /** Images far from the zero-mean, unit-variance statistics a fresh network starts with. */
    private static INDArray batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 8, 3, 16, 16).muli(4).addi(2);
    }

    @Test
    void recalibratedOnABatchTheNetworkInfersOnItAsItTrainsOnIt() {
        ComputationGraph net = network();
        INDArray x = batch(1);
        INDArray training = net.outputSingle(true, x).dup();
        INDArray before = net.outputSingle(false, x).dup();
        // a fresh network's running statistics (mean 0, std 1) are far from this batch's: inference differs
        assertFalse(training.equalsWithEps(before, 1e-2), "the starting statistics do not describe the batch");

        BatchNormRecalibration.apply(net, BatchNormRecalibration.moments(net, List.of(x).iterator()));
        // every batch-norm layer now normalises with this batch's statistics in inference mode too (the small
        // difference left is batch norm's epsilon, which training mode adds to the batch variance as well)
        INDArray after = net.outputSingle(false, x);
        assertTrue(training.equalsWithEps(after, 1e-3), "inference " + after + " vs training " + training);
    }

    @Test
    void statisticsArePooledOverBatches() {
        ComputationGraph net = network();
        INDArray a = batch(2);
        INDArray b = batch(3);
        BatchNormRecalibration.apply(net, BatchNormRecalibration.moments(net, List.of(a, b).iterator()));
        INDArray pooledMean = net.getLayer("stem_bn").getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).dup();
        INDArray pooledStd = net.getLayer("stem_bn").getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).dup();

        // the first batch-norm layer sees the stem convolution of the images alone: one batch of both is the same
        ComputationGraph whole = network();
        BatchNormRecalibration.apply(whole, BatchNormRecalibration.moments(whole,
                List.of(Nd4j.concat(0, a, b)).iterator()));
        assertTrue(pooledMean.equalsWithEps(whole.getLayer("stem_bn")
                .getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN), 1e-4), pooledMean.toString());
        assertTrue(pooledStd.equalsWithEps(whole.getLayer("stem_bn")
                .getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD), 1e-4), pooledStd.toString());
        assertEquals(BatchNormRecalibration.batchNormInputs(net).size(), BatchNormRecalibration.moments(net,
                List.of(a).iterator()).mean.size(), "every batch-norm layer is covered");
    }

    @Test
    void aBatchsActivationsAreFreedExceptTheKeptInputAndViews() {
        ComputationGraph net = network();
        INDArray x = batch(4);
        java.util.Map<String, INDArray> activations = net.feedForward(x, true);
        INDArray stem = activations.get("stem_bn");
        INDArray view = stem.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0));
        List<INDArray> all = new java.util.ArrayList<>(activations.values());
        all.add(view);
        all.add(x);
        BatchNormRecalibration.release(all, x);
        assertTrue(stem.wasClosed(), "a detached activation is freed");
        assertFalse(x.wasClosed(), "the batch's input stays with its owner");
        assertFalse(view.closeable(), "a view is not freed on its own");
        assertEquals(x.shape()[0], x.dup().shape()[0], "the kept input is still readable");
    }

    /** The statistics the project's batch norms keep are those of their inputs, taken from the activations. */
    @Test
    void keptStatisticsEqualThoseOfTheActivations() {
        ComputationGraph net = network();
        List<INDArray> batches = List.of(batch(4), batch(5));
        Map<String, String> inputOf = BatchNormRecalibration.batchNormInputs(net);
        BatchNormRecalibration.Moments kept = BatchNormRecalibration.moments(net, batches.iterator());
        BatchNormRecalibration.Moments taken = BatchNormRecalibration.activationMoments(net, inputOf,
                batches.iterator());
        assertEquals(inputOf.keySet(), kept.mean.keySet());
        for (String bn : inputOf.keySet()) {
            assertArrayEquals(taken.mean.get(bn), kept.mean.get(bn), 1e-4 * scale(taken.mean.get(bn)), bn);
            assertArrayEquals(taken.square.get(bn), kept.square.get(bn), 1e-4 * scale(taken.square.get(bn)), bn);
        }
    }

    private static double scale(double[] values) {
        return java.util.Arrays.stream(values).map(Math::abs).max().orElse(1) + 1e-6;
    }
}
