package io.seresnext.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import io.seresnext.model.vertices.ResidualMergeVertex;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The nonlinearities sit where the architecture table puts them and nowhere else: ReLU after the stem's and the
 * transform's BNs (fused into those layers) and after the residual add (fused into ResidualMergeVertex in the
 * grouped-layer form), ReLU and sigmoid inside SE, softmax at the head. Every convolution is linear, and so are the
 * BN before SE and the shortcut's BN. (DL4J's global default activation is sigmoid: a layer built without an
 * explicit activation silently gets one, which is how every convolution of this model once carried a sigmoid.)
 */
class NonlinearityPlacementTest {

    @ParameterizedTest
    @CsvSource({
        "seresnext29_8x16d_w1, GROUPED_LAYER",
        "seresnext29_8x16d_w1, CONCAT_PATHS",
        "seresnext50_32x4d,    GROUPED_LAYER",
        "seresnet50,           GROUPED_LAYER",
        "resnext29_8x64d,      GROUPED_LAYER",
    })
    void onlyTheTablesNonlinearitiesAreApplied(String preset, GroupedConvForm form) {
        ModelSpec spec = Presets.get(preset).withGroupedConvForm(form);
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(spec);
        Map<String, String> wrong = new TreeMap<>();
        int convolutions = 0;
        int blockOutputs = 0;
        for (Map.Entry<String, GraphVertex> v : conf.getVertices().entrySet()) {
            if (v.getKey().endsWith("_out")) {
                blockOutputs++;
            }
            if (v.getValue() instanceof ResidualMergeVertex) {
                if (!v.getKey().endsWith("_out")) {
                    wrong.put(v.getKey(), "relu (expected none)"); // the merge vertex always ends in a ReLU
                }
                continue;
            }
            if (!(v.getValue() instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof BaseLayer)) {
                continue;
            }
            Layer layer = lv.getLayerConf().getLayer();
            String actual = ((BaseLayer) layer).getActivationFn().toString().toLowerCase();
            String expected = expectedActivation(v.getKey());
            if (v.getKey().contains("conv")) {
                convolutions++;
            }
            if (!expected.equals(actual)) {
                wrong.put(v.getKey(), actual + " (expected " + expected + ")");
            }
        }
        assertTrue(convolutions > 10, "found " + convolutions + " convolutions");
        // every block ends in a ReLU: a ResidualMergeVertex, or the reference form's ActivationLayer (checked above)
        assertEquals(spec.stages().stream().mapToInt(StageSpec::blocks).sum(), blockOutputs);
        assertEquals(Map.of(), wrong);
    }

    private static String expectedActivation(String vertex) {
        if (vertex.equals(SeResNeXtGraph.OUTPUT)) {
            return "softmax";
        }
        // BN with its ReLU fused: after the stem conv and after each conv of the transform (conv1, grouped conv2)
        boolean bnRelu = vertex.equals("stem_bn") || vertex.endsWith("_1_bn") || vertex.endsWith("_2_bn");
        if (bnRelu || vertex.endsWith("_out") || vertex.endsWith("_se_fc1")) {
            return "relu";
        }
        if (vertex.endsWith("_se_fc2")) {
            return "sigmoid";
        }
        return "identity";
    }
}
