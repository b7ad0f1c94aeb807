package io.seresnext.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * Trainable parameter count, the figure papers and PyTorch report. DL4J's {@code numParams()} also counts each
 * batch norm's running mean and variance (stored as parameters), which PyTorch keeps as buffers.
 */
public final class ParameterCount {

    private ParameterCount() {
    }

    /** From the configuration alone, without allocating the network. */
    public static long trainable(ComputationGraphConfiguration conf) {
        long total = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            total += v.numParams(true);
            if (v instanceof LayerVertex) {
                Layer layer = ((LayerVertex) v).getLayerConf().getLayer();
                if (layer instanceof BatchNormalization) {
                    total -= 2 * ((BatchNormalization) layer).getNOut(); // running mean + running variance
                }
            }
        }
        return total;
    }

    public static long trainable(ModelSpec spec) {
        return trainable(SeResNeXtGraph.configuration(spec));
    }
}
