package io.seresnext.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Map;
import io.seresnext.model.layers.GroupedConvolution2D;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.objenesis.strategy.StdInstantiatorStrategy;

/** The custom layer and vertices survive every way a model travels: JSON, model zip, Java and Kryo (Spark). */
class SerializationTest {

    /** Every custom class at once: grouped convolution, SE scaling or the fused residual merge, zero channel padding. */
    private static ModelSpec spec(GroupedConvForm form) {
        return TinyNets.tinyCifar(11).shortcut(ShortcutType.AVGPOOL_ZERO_PAD).groupedConvForm(form).build();
    }

    @ParameterizedTest
    @EnumSource(GroupedConvForm.class)
    void jsonRoundTripGivesAnEqualConfiguration(GroupedConvForm form) {
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(spec(form));
        String json = conf.toJson();
        assertTrue(json.contains("GroupedConvolution2D") || form == GroupedConvForm.CONCAT_PATHS);
        assertTrue(json.contains(form == GroupedConvForm.GROUPED_LAYER ? "ResidualMergeVertex" : "ChannelScaleVertex"));
        assertTrue(json.contains("ZeroPadChannelsVertex"));
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, restored);
        assertEquals(json, restored.toJson());
    }

    @ParameterizedTest
    @EnumSource(GroupedConvForm.class)
    void modelSerializerRestoresIdenticalOutputsAndUpdaterState(GroupedConvForm form, @TempDir Path dir)
            throws Exception {
        ModelSpec spec = spec(form);
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(spec));
        net.init();
        INDArray input = TinyNets.input(spec, 4, 1).castTo(net.params().dataType());
        net.fit(new INDArray[] {input}, new INDArray[] {TinyNets.oneHot(4, spec.numClasses())
                .castTo(net.params().dataType())}); // non-trivial updater state
        File file = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(net, file, true);

        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(net.getConfiguration(), restored.getConfiguration());
        assertEquals(net.params(), restored.params());
        assertNotNull(restored.getUpdater().getStateViewArray());
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        assertEquals(net.outputSingle(false, input), restored.outputSingle(false, input));
    }

    @ParameterizedTest
    @EnumSource(GroupedConvForm.class)
    void javaSerializationRoundTrip(GroupedConvForm form) throws Exception {
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(spec(form));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(conf, in.readObject());
        }
    }

    /**
     * Every vertex of the graph (layer vertices with their layer configuration, and the custom vertices), through
     * Kryo configured as Spark's KryoSerializer configures it (objects without no-arg constructors allowed). The
     * graph configuration as a whole also holds {@code Arrays.asList} lists, which plain Kryo cannot rebuild
     * whatever the layers: that is a matter of the job's Kryo registrator, not of these classes.
     */
    @ParameterizedTest
    @EnumSource(GroupedConvForm.class)
    void everyVertexSurvivesKryoAsSparkConfiguresIt(GroupedConvForm form) {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(false);
        kryo.setInstantiatorStrategy(new Kryo.DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(spec(form));
        int custom = 0;
        for (Map.Entry<String, GraphVertex> v : conf.getVertices().entrySet()) {
            Output out = new Output(1 << 12, -1);
            kryo.writeClassAndObject(out, v.getValue());
            Object restored = kryo.readClassAndObject(new Input(out.toBytes()));
            assertEquals(v.getValue(), restored, v.getKey());
            if (restored.getClass().getPackageName().startsWith("io.seresnext") || (restored instanceof LayerVertex
                    && ((LayerVertex) restored).getLayerConf().getLayer() instanceof GroupedConvolution2D)) {
                custom++;
            }
        }
        assertTrue(custom >= 3, "custom vertices checked: " + custom);
    }
}
