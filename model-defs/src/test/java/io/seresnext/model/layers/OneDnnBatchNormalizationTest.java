package io.seresnext.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The oneDNN batch norm against DL4J's own Java path: same outputs and gradients, and the native path is on. */
class OneDnnBatchNormalizationTest {

    private static final int CHANNELS = 6;

    private static Layer instantiate(BatchNormalization conf, INDArray params) {
        conf.setNIn(CHANNELS);
        conf.setNOut(CHANNELS);
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).layer(conf).build();
        INDArray view = Nd4j.create(DataType.FLOAT, 1, conf.initializer().numParams(nnc));
        Layer layer = conf.instantiate(nnc, List.of(), 0, view, true, DataType.FLOAT);
        layer.setParams(params.reshape(1, params.length()));
        layer.setBackpropGradientsViewArray(Nd4j.create(DataType.FLOAT, 1, params.length()));
        return layer;
    }

    private static BatchNormalization stock() {
        return new BatchNormalization.Builder().decay(0.9).eps(1e-5).build();
    }

    @Test
    void oneDnnGivesTheStockOutputsAndGradients() {
        Nd4j.getRandom().setSeed(5);
        // gamma, beta, running mean, running log10(std): not the initial values, so every term matters
        INDArray params = Nd4j.concat(0, Nd4j.rand(DataType.FLOAT, CHANNELS).addi(0.5),
                Nd4j.randn(DataType.FLOAT, CHANNELS), Nd4j.randn(DataType.FLOAT, CHANNELS),
                Nd4j.rand(DataType.FLOAT, CHANNELS).subi(0.5));
        Layer reference = instantiate(stock(), params);
        Layer fast = instantiate(OneDnnBatchNormalization.of(stock()), params);
        assertNull(((org.deeplearning4j.nn.layers.normalization.BatchNormalization) reference).getHelper(),
                "DL4J's own path leaves its helper off");
        assertNotNull(((org.deeplearning4j.nn.layers.normalization.BatchNormalization) fast).getHelper(),
                "the oneDNN helper is on");

        INDArray x = Nd4j.randn(DataType.FLOAT, 4, CHANNELS, 5, 5).muli(3).addi(1);
        INDArray epsilon = Nd4j.randn(DataType.FLOAT, 4, CHANNELS, 5, 5);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        for (boolean training : new boolean[] {true, false}) {
            INDArray expected = reference.activate(x.dup(), training, ws).dup();
            INDArray actual = fast.activate(x.dup(), training, ws).dup();
            assertTrue(expected.equalsWithEps(actual, 1e-4), "forward, training=" + training);
        }
        reference.activate(x.dup(), true, ws);
        Pair<Gradient, INDArray> expected = reference.backpropGradient(epsilon.dup(), ws);
        fast.activate(x.dup(), true, ws);
        Pair<Gradient, INDArray> actual = fast.backpropGradient(epsilon.dup(), ws);
        assertTrue(expected.getSecond().equalsWithEps(actual.getSecond(), 1e-3), "input gradient");
        for (String p : List.of("gamma", "beta", "mean", "log10stdev")) {
            INDArray e = expected.getFirst().getGradientFor(p);
            INDArray a = actual.getFirst().getGradientFor(p);
            assertTrue(e.equalsWithEps(a, 1e-3), p + ": " + e + " vs " + a);
        }
        // DL4J falls back to its Java path when a helper throws, which would also give equal results: it did not
        assertEquals(0, helperFailures(fast), "the oneDNN helper ran without falling back");
    }

    private static int helperFailures(Layer layer) {
        try {
            java.lang.reflect.Field f = org.deeplearning4j.nn.layers.normalization.BatchNormalization.class
                    .getDeclaredField("helperCountFail");
            f.setAccessible(true);
            return f.getInt(layer);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
