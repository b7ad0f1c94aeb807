package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
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

/**
 * {@link ResidualCarryOver} against DL4J's own accumulator, driven as SharedTrainingWrapper drives it: one fit per
 * epoch, each on a fresh thread (a new Spark task), with {@code reset()} between them. The threshold is so high that
 * nothing is ever sent, so the residual must hold every update computed, and plain SGD makes each step's update
 * independent of the last.
 */
class ResidualCarryOverTest {

    private static final double NEVER_SENT = 1e3;

    /** The tiny preset on 8 px inputs with plain SGD, so that each step's update is independent of the last. */
    static ComputationGraph network() {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8).withNumClasses(3),
                new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.05)).dataType(DataType.FLOAT)));
        net.init();
        return net;
    }

    private static EncodedGradientsAccumulator accumulator(ComputationGraph net) {
        EncodedGradientsAccumulator accumulator = new EncodedGradientsAccumulator(1,
                new FixedThresholdAlgorithm(NEVER_SENT), new TrainingMasters.KeepResidual(), false);
        accumulator.fallbackToSingleConsumerMode(true);
        net.setGradientsAccumulator(accumulator);
        return accumulator;
    }

    private static DataSet batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.eye(3).castTo(DataType.FLOAT)
                .getRows(0, 1, 2, (int) (seed % 3)));
    }

    /** Fits one batch on a thread of its own, as a new task would, and returns that thread's residual. */
    static INDArray fitOnNewThread(ComputationGraph net, EncodedGradientsAccumulator accumulator,
            DataSet batch) throws Exception {
        return onNewTaskThread(accumulator, () -> {
            net.fit(new SingletonDataSetIterator(batch));
            return ResidualCarryOver.threadResidual(net).get().dup();
        });
    }

    /** Runs {@code fit} on a thread of its own, prepared as SharedTrainingWrapper prepares a task's thread. */
    static <T> T onNewTaskThread(EncodedGradientsAccumulator accumulator, Callable<T> fit) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(() -> {
                accumulator.touch();   // as SharedTrainingWrapper does on the task's thread before each fit
                return fit.call();
            }).get(2, TimeUnit.MINUTES);
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    @Timeout(300)
    void aResidualLeftAtTheEndOfOneFitIsStillThereAfterDl4jResetsTheAccumulator() throws Exception {
        ComputationGraph net = network();
        net.setListeners(new ResidualCarryOver());
        EncodedGradientsAccumulator accumulator = accumulator(net);
        INDArray initial = net.params().dup();

        INDArray afterFirstEpoch = fitOnNewThread(net, accumulator, batch(11));
        accumulator.reset();   // what SharedTrainingWrapper does after every fit
        INDArray afterSecondEpoch = fitOnNewThread(net, accumulator, batch(12));

        // the second epoch's update alone, from the same (unchanged) parameters
        ComputationGraph reference = network();
        INDArray secondUpdateAlone = fitOnNewThread(reference, accumulator(reference), batch(12));

        assertEquals(initial, net.params(), "nothing may be sent at this threshold");
        assertTrue(afterFirstEpoch.norm1Number().doubleValue() > 0, "the first fit left no residual");
        INDArray expected = afterFirstEpoch.add(secondUpdateAlone);
        double error = afterSecondEpoch.sub(expected).norm1Number().doubleValue()
                / expected.norm1Number().doubleValue();
        assertTrue(error < 1e-5, "the residual after the reset should be the first epoch's plus the second's "
                + "update (relative L1 error " + error + "); without the carry-over it is the second's alone");
    }
}
