package io.seresnext.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The native batch norm (and batch norm + ReLU) against DL4J's own Java path (followed by a ReLU where fused):
 * same outputs and gradients, running-statistics updates included, and the native helper really ran.
 */
class NativeBatchNormalizationTest {

    private static final int CHANNELS = 6;

    private static Layer instantiate(BatchNormalization conf, INDArray params, DataType type) {
        conf.setNIn(CHANNELS);
        conf.setNOut(CHANNELS);
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(type).layer(conf).build();
        INDArray view = Nd4j.create(type, 1, conf.initializer().numParams(nnc));
        Layer layer = conf.instantiate(nnc, List.of(), 0, view, true, type);
        layer.setParams(params.castTo(type).reshape(1, params.length()));
        layer.setBackpropGradientsViewArray(Nd4j.create(type, 1, params.length()));
        return layer;
    }

    private static BatchNormalization stock(Activation activation) {
        return new BatchNormalization.Builder().decay(0.9).eps(1e-5).activation(activation).build();
    }

    /**
     * Channels with means far from zero (up to 40 standard deviations) check that the statistics do not cancel.
     * Float: agreement to float tolerance; double: to rounding.
     */
    @ParameterizedTest
    @CsvSource({"FLOAT, false, 1e-4, 1e-3", "FLOAT, true, 1e-4, 1e-3", "DOUBLE, false, 1e-10, 1e-9",
        "DOUBLE, true, 1e-10, 1e-9"})
    void nativeGivesTheStockOutputsAndGradients(DataType type, boolean relu, double fwdTol, double gradTol) {
        Nd4j.getRandom().setSeed(5);
        // gamma, beta, running mean, running log10(std): not the initial values, so every term matters
        INDArray params = Nd4j.concat(0, Nd4j.rand(DataType.DOUBLE, CHANNELS).addi(0.5),
                Nd4j.randn(DataType.DOUBLE, CHANNELS), Nd4j.randn(DataType.DOUBLE, CHANNELS),
                Nd4j.rand(DataType.DOUBLE, CHANNELS).subi(0.5));
        Layer reference = instantiate(stock(Activation.IDENTITY), params, type);
        Layer fast = instantiate(NativeBatchNormalization.of(stock(relu ? Activation.RELU : Activation.IDENTITY)),
                params, type);
        assertNull(((org.deeplearning4j.nn.layers.normalization.BatchNormalization) reference).getHelper(),
                "DL4J's own path leaves its helper off");
        assertInstanceOf(NativeBatchNormHelper.class,
                ((org.deeplearning4j.nn.layers.normalization.BatchNormalization) fast).getHelper());
        CountingHelper counting = CountingHelper.installOn(fast);

        INDArray channelMeans = Nd4j.createFromArray(0.0, 1.0, -3.0, 40.0, 0.5, -12.0).castTo(type)
                .reshape(1, CHANNELS, 1, 1);
        INDArray x = Nd4j.randn(type, 4, CHANNELS, 5, 7).addi(channelMeans.broadcast(4, CHANNELS, 5, 7));
        INDArray epsilon = Nd4j.randn(type, 4, CHANNELS, 5, 7);
        LayerWorkspaceMgr ws = LayerWorkspaceMgr.noWorkspaces();
        for (boolean training : new boolean[] {true, false}) {
            INDArray expected = reference.activate(x.dup(), training, ws).dup();
            if (relu) {
                expected = Transforms.relu(expected, false);
            }
            INDArray actual = fast.activate(x.dup(), training, ws).dup();
            assertTrue(expected.equalsWithEps(actual, fwdTol), "forward, training=" + training);
        }
        INDArray referenceOut = reference.activate(x.dup(), true, ws).dup();
        INDArray referenceEpsilon = relu ? epsilon.mul(referenceOut.gt(0).castTo(type)) : epsilon.dup();
        Pair<Gradient, INDArray> expected = reference.backpropGradient(referenceEpsilon, ws);
        fast.activate(x.dup(), true, ws);
        Pair<Gradient, INDArray> actual = fast.backpropGradient(epsilon.dup(), ws);
        assertTrue(expected.getSecond().equalsWithEps(actual.getSecond(), gradTol),
                "input gradient: " + expected.getSecond().sub(actual.getSecond()).amaxNumber());
        for (String p : List.of("gamma", "beta", "mean", "log10stdev")) {
            INDArray e = expected.getFirst().getGradientFor(p);
            INDArray a = actual.getFirst().getGradientFor(p);
            assertTrue(e.equalsWithEps(a, gradTol), p + ": " + e + " vs " + a);
        }
        // DL4J falls back to its Java path when a helper throws or returns null, which would also give equal
        // results: every pass came from the native helper
        assertEquals(0, helperFailures(fast), "the native helper ran without falling back");
        assertTrue(counting.forwardCalls >= 2, "the training-mode passes went to the helper");
        assertEquals(counting.forwardCalls, counting.forwardResults, "every forward pass computed natively");
        assertEquals(1, counting.backwardCalls);
        assertEquals(1, counting.backwardResults, "the backward pass computed natively");
    }

    /** Delegates to the layer's helper and counts the passes it computed (a null result makes DL4J fall back). */
    static final class CountingHelper implements BatchNormalizationHelper {
        private final BatchNormalizationHelper delegate;
        int forwardCalls;
        int forwardResults;
        int backwardCalls;
        int backwardResults;

        private CountingHelper(BatchNormalizationHelper delegate) {
            this.delegate = delegate;
        }

        static CountingHelper installOn(Layer layer) {
            try {
                java.lang.reflect.Field f = org.deeplearning4j.nn.layers.normalization.BatchNormalization.class
                        .getDeclaredField("helper");
                f.setAccessible(true);
                CountingHelper counting = new CountingHelper((BatchNormalizationHelper) f.get(layer));
                f.set(layer, counting);
                return counting;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                                  INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format,
                                  LayerWorkspaceMgr workspaceMgr) {
            forwardCalls++;
            INDArray out = delegate.preOutput(x, training, shape, gamma, beta, mean, var, decay, eps, format,
                    workspaceMgr);
            forwardResults += out == null ? 0 : 1;
            return out;
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape,
                INDArray gamma, INDArray beta, INDArray dGammaView, INDArray dBetaView, double eps,
                CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
            backwardCalls++;
            Pair<Gradient, INDArray> out = delegate.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView,
                    dBetaView, eps, format, workspaceMgr);
            backwardResults += out == null ? 0 : 1;
            return out;
        }

        @Override
        public boolean checkSupported(double eps, boolean fixedGammaBeta) {
            return delegate.checkSupported(eps, fixedGammaBeta);
        }

        @Override
        public INDArray getMeanCache(DataType dataType) {
            return delegate.getMeanCache(dataType);
        }

        @Override
        public INDArray getVarCache(DataType dataType) {
            return delegate.getVarCache(dataType);
        }

        @Override
        public java.util.Map<String, Long> helperMemoryUse() {
            return delegate.helperMemoryUse();
        }

        @Override
        public boolean checkSupported() {
            return delegate.checkSupported();
        }
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
