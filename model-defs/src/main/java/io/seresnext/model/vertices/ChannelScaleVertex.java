package io.seresnext.model.vertices;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Squeeze-and-excitation scaling: multiplies feature maps {@code [N, C, H, W]} (input 0) by per-sample channel
 * weights {@code [N, C]} (input 1).
 *
 * <p>DL4J has no broadcasting vertex for this; {@code SameDiffVertex} gives wrong gradients and
 * {@code SameDiffLambdaVertex} cannot be serialised (docs/platform-notes.md). The stock-layer workaround (upsample the
 * weights to {@code [N, C, H, W]} and multiply) materialises a full-size copy; this vertex broadcasts instead, with
 * a hand-written backward pass.
 */
public class ChannelScaleVertex extends ParameterFreeVertex {

    @Override
    public ChannelScaleVertex clone() {
        return new ChannelScaleVertex();
    }

    @Override
    protected Object setting() {
        return null;
    }

    @Override
    public int minVertexInputs() {
        return 2;
    }

    @Override
    public int maxVertexInputs() {
        return 2;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new ChannelScaleVertexImpl(graph, name, idx, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... inputs) throws InvalidInputTypeException {
        if (inputs.length != 2 || !(inputs[0] instanceof InputType.InputTypeConvolutional)
                || !(inputs[1] instanceof InputType.InputTypeFeedForward)) {
            throw new InvalidInputTypeException("ChannelScaleVertex expects (CNN [N,C,H,W], feed-forward [N,C]) inputs, got "
                    + java.util.Arrays.toString(inputs));
        }
        long channels = ((InputType.InputTypeConvolutional) inputs[0]).getChannels();
        long weights = ((InputType.InputTypeFeedForward) inputs[1]).getSize();
        if (channels != weights) {
            throw new InvalidInputTypeException("ChannelScaleVertex: " + channels + " channels but " + weights
                    + " channel weights");
        }
        return inputs[0];
    }
}
