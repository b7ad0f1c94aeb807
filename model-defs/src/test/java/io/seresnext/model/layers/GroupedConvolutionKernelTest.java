package io.seresnext.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * oneDNN's grouped primitive ({@link OneDnnGroupedConvolution}) computes what libnd4j's per-group calls compute:
 * the same layer output, input gradient and weight gradient for the same weights and input, across strides,
 * padding modes and group widths. Groups of 16 channels run their backward pass on oneDNN as well (asserted);
 * narrower ones may keep the per-group backward pass, depending on what oneDNN has for the CPU.
 * GroupedConvFormsTest compares the layer (in float, on oneDNN) with the concatenated-paths form of stock layers.
 */
class GroupedConvolutionKernelTest {

    @Test
    void oneDnnRunsOnTheCpuBackend() {
        assertTrue(OneDnnGroupedConvolution.usable(), "oneDNN's grouped convolution did not load");
    }

    /**
     * DL4J's truncate mode may leave input rows unread (10 px, stride 2, 3x3: 4 outputs read 9 rows), which oneDNN
     * would need negative padding for: such layers keep the per-group calls.
     */
    @Test
    void truncatedInputIsLeftToPerGroupCalls() {
        int[] three = {3, 3};
        int[] two = {2, 2};
        int[] one = {1, 1};
        int[] none = {0, 0};
        assertFalse(OneDnnGroupedConvolution.Geometry.of(new long[] {1, 8, 10, 10}, 8, 4, 4, 2, three, two, one, none)
                .supported());
        assertTrue(OneDnnGroupedConvolution.Geometry.of(new long[] {1, 8, 11, 11}, 8, 5, 5, 2, three, two, one, none)
                .supported());
    }

    @ParameterizedTest
    @CsvSource({"16, 4, 1, Same, 9, false", "16, 4, 2, Same, 9, false", "24, 8, 2, Truncate, 11, false",
        "8, 2, 1, Truncate, 7, false", "64, 4, 1, Same, 8, true", "64, 4, 2, Same, 8, true"})
    void sameOutputAndGradientsAsPerGroupCalls(int channels, int groups, int stride, ConvolutionMode mode, int size,
            boolean backwardMustRunOnOneDnn) {
        Layer layer = net(channels, groups, stride, mode, size).getLayer("gconv");
        Nd4j.getRandom().setSeed(7);
        INDArray input = Nd4j.rand(DataType.FLOAT, 3, channels, size, size).subi(0.5);
        INDArray output = perGroup(() -> forward(layer, input));
        INDArray epsilon = Nd4j.rand(DataType.FLOAT, output.shape()).subi(0.5);

        Result expected = perGroup(() -> Result.of(layer, input, epsilon));
        Result actual = Result.of(layer, input, epsilon);

        long out = mode == ConvolutionMode.Same ? (size + stride - 1) / stride : (size - 3) / stride + 1;
        int pad = mode == ConvolutionMode.Same ? (int) Math.max(0, (out - 1) * stride + 3 - size) / 2 : 0;
        assertArrayEquals(new long[] {3, channels, out, out}, actual.output.shape());
        OneDnnGroupedConvolution.Geometry geometry = OneDnnGroupedConvolution.Geometry.of(input.shape(), channels, out,
                out, groups, new int[] {3, 3}, new int[] {stride, stride}, new int[] {1, 1}, new int[] {pad, pad});
        if (backwardMustRunOnOneDnn) {
            assertTrue(OneDnnGroupedConvolution.backwardRuns(geometry), "the backward pass fell back to per-group calls");
        }
        assertArrayEquals(expected.output.shape(), actual.output.shape());
        assertTrue(expected.output.equalsWithEps(actual.output, 1e-5), "outputs differ");
        assertTrue(expected.inputGrad.equalsWithEps(actual.inputGrad, 1e-5), "input gradients differ");
        double scale = expected.weightGrad.norm2Number().doubleValue();
        double relative = expected.weightGrad.sub(actual.weightGrad).norm2Number().doubleValue() / scale;
        assertTrue(scale > 0, "no weight gradient to compare");
        assertTrue(relative < 1e-5, "weight gradients differ by " + relative + " (relative)");
    }

    /** The layer under test, between the input and a small classifier, so that gradients reach it. */
    private static ComputationGraph net(int channels, int groups, int stride, ConvolutionMode mode, int size) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("in")
                .addLayer("gconv", new GroupedConvolution2D.Builder(3, 3).groups(groups).stride(stride, stride)
                        .convolutionMode(mode).nIn(channels).nOut(channels).hasBias(false)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "gconv")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(size, size, channels))
                .build());
        net.init();
        net.initGradientsView();
        return net;
    }

    private static <T> T perGroup(Supplier<T> work) {
        System.setProperty(OneDnnGroupedConvolution.KERNEL_PROPERTY, "per-group");
        try {
            return work.get();
        } finally {
            System.clearProperty(OneDnnGroupedConvolution.KERNEL_PROPERTY);
        }
    }

    private static INDArray forward(Layer layer, INDArray input) {
        LayerWorkspaceMgr none = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(input, none);
        return layer.activate(true, none).dup();
    }

    private record Result(INDArray output, INDArray inputGrad, INDArray weightGrad) {
        static Result of(Layer layer, INDArray input, INDArray epsilon) {
            INDArray output = forward(layer, input);
            Pair<Gradient, INDArray> grads = layer.backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces());
            return new Result(output, grads.getSecond().dup(),
                    grads.getFirst().getGradientFor(GroupedConvolutionParamInitializer.WEIGHT_KEY).dup());
        }
    }
}
