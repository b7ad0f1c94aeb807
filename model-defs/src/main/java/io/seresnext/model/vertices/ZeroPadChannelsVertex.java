package io.seresnext.model.vertices;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Pads {@code [N, C, H, W]} with zero channels up to {@code outChannels}: the parameter-free half of the seed
 * network's downsampling shortcut (2x2 average pooling, then zero channel padding; "option A" of He et al.).
 */
public class ZeroPadChannelsVertex extends ParameterFreeVertex {

    private final int outChannels;

    public ZeroPadChannelsVertex(@JsonProperty("outChannels") int outChannels) {
        if (outChannels < 1) {
            throw new IllegalArgumentException("outChannels must be >= 1, got " + outChannels);
        }
        this.outChannels = outChannels;
    }

    public int getOutChannels() {
        return outChannels;
    }

    @Override
    public ZeroPadChannelsVertex clone() {
        return new ZeroPadChannelsVertex(outChannels);
    }

    @Override
    protected Object setting() {
        return outChannels;
    }

    @Override
    public int minVertexInputs() {
        return 1;
    }

    @Override
    public int maxVertexInputs() {
        return 1;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new ZeroPadChannelsVertexImpl(graph, name, idx, outChannels, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... inputs) throws InvalidInputTypeException {
        if (!(inputs[0] instanceof InputType.InputTypeConvolutional)) {
            throw new InvalidInputTypeException("ZeroPadChannelsVertex expects CNN input, got " + inputs[0]);
        }
        InputType.InputTypeConvolutional in = (InputType.InputTypeConvolutional) inputs[0];
        if (in.getChannels() > outChannels) {
            throw new InvalidInputTypeException("ZeroPadChannelsVertex: input has " + in.getChannels()
                    + " channels, more than outChannels=" + outChannels);
        }
        return InputType.convolutional(in.getHeight(), in.getWidth(), outChannels, in.getFormat());
    }
}
