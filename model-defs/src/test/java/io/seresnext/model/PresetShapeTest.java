package io.seresnext.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PresetShapeTest {

    /** Published counts (PyTorch reference, torchvision/timm model cards, ResNeXt paper Table 7). */
    @ParameterizedTest
    @CsvSource({
        "resnet50,           25557032",
        "seresnet50,         28088024",
        "resnext50_32x4d,    25028904",
        "seresnext50_32x4d,  27559896",
        "resnext29_8x64d,    34426698",
        "resnext29_16x64d,   68155210",
    })
    void trainableParametersEqualThePublishedCounts(String preset, long published) {
        assertEquals(published, ParameterCount.trainable(Presets.get(preset)));
    }

    @ParameterizedTest
    @CsvSource({"seresnext50_32x4d", "seresnext29_8x64d"})
    void bothGroupedConvFormsHaveTheSameParameterCount(String preset) {
        ModelSpec spec = Presets.get(preset);
        assertEquals(ParameterCount.trainable(spec.withGroupedConvForm(GroupedConvForm.GROUPED_LAYER)),
                ParameterCount.trainable(spec.withGroupedConvForm(GroupedConvForm.CONCAT_PATHS)));
    }

    static Iterable<String> presets() {
        return Presets.names();
    }

    /** The configuration's own shape inference: the head sees [classes] for every preset at its input size. */
    @ParameterizedTest
    @MethodSource("presets")
    void everyPresetMapsItsInputToClassScores(String preset) {
        ModelSpec spec = Presets.get(preset);
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(spec);
        InputType out = conf.getLayerActivationTypes(
                InputType.convolutional(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()))
                .get(SeResNeXtGraph.OUTPUT);
        assertEquals(InputType.feedForward(spec.numClasses()), out);
    }

    /** A real forward pass on the CIFAR-sized presets (ImageNet ones are checked by shape inference above). */
    @ParameterizedTest
    @CsvSource({"seresnext29_8x16d_w1", "seresnext29_seed"})
    void forwardPassGivesClassProbabilities(String preset) {
        ModelSpec spec = Presets.get(preset);
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(spec));
        net.init();
        INDArray out = net.outputSingle(Nd4j.rand(DataType.FLOAT, 2, spec.inputChannels(), spec.inputHeight(),
                spec.inputWidth()));
        assertArrayEquals(new long[] {2, spec.numClasses()}, out.shape());
        assertEquals(2.0, out.sumNumber().doubleValue(), 1e-4);
    }

    @Test
    void configurationCountAgreesWithTheInitialisedNetwork() {
        ModelSpec spec = Presets.get("seresnext29_8x16d_w1");
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(spec));
        net.init();
        long bnStats = TinyNets.batchNormStatistics(net).stream()
                .mapToLong(k -> net.getParam(k).length()).sum();
        assertTrue(bnStats > 0);
        assertEquals(net.numParams() - bnStats, ParameterCount.trainable(spec));
    }

    @Test
    void invalidOptionsAreRefusedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Presets.get("seresnext50_32x4d").withInput(3, 16, 16));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Presets.get("resnet51"));
        assertTrue(e.getMessage().contains("seresnext50_32x4d"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.cifar(29).numClasses(1).build());
        assertTrue(e.getMessage().startsWith("numClasses"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.cifar(30));
        assertTrue(e.getMessage().contains("9n+2"), e.getMessage());
    }
}
