package io.seresnext.model.vertices;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The end of a bottleneck block in one vertex: {@code out = ReLU(residual * s + shortcut)} with SE channel weights
 * {@code s [N, C]}, or {@code out = ReLU(residual + shortcut)} without SE. Inputs, in order: the residual branch
 * {@code [N, C, H, W]}, the shortcut {@code [N, C, H, W]}, and, when {@code scaled}, the channel weights.
 *
 * <p>Built from stock parts the same step is a {@link ChannelScaleVertex}, DL4J's {@code ElementWiseVertex(Add)} and
 * an {@code ActivationLayer(ReLU)}: three full-size activation arrays kept for backprop, an add whose backward
 * pass duplicates the gradient for each input, and an activation layer that copies its input and its gradient. This
 * vertex keeps one array (its output, whose sign is the ReLU mask) and writes two gradients, which shrinks DL4J's
 * activation workspace (BENCHMARKS.md). The stock composition stays the
 * concatenated-paths form's reference: GroupedConvFormsTest compares the two, GradientCheckTest checks both by finite
 * differences.
 */
public class ResidualMergeVertex extends ParameterFreeVertex {

    private final boolean scaled;

    public ResidualMergeVertex(@JsonProperty("scaled") boolean scaled) {
        this.scaled = scaled;
    }

    public boolean isScaled() {
        return scaled;
    }

    @Override
    public ResidualMergeVertex clone() {
        return new ResidualMergeVertex(scaled);
    }

    @Override
    protected Object setting() {
        return scaled;
    }

    @Override
    public int minVertexInputs() {
        return scaled ? 3 : 2;
    }

    @Override
    public int maxVertexInputs() {
        return minVertexInputs();
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
            INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
        return new ResidualMergeVertexImpl(graph, name, idx, scaled, networkDatatype);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... inputs) throws InvalidInputTypeException {
        if (inputs.length != minVertexInputs() || !(inputs[0] instanceof InputType.InputTypeConvolutional)
                || !inputs[0].equals(inputs[1])) {
            throw new InvalidInputTypeException("ResidualMergeVertex expects residual and shortcut of one CNN shape"
                    + (scaled ? " and [N,C] channel weights" : "") + ", got " + Arrays.toString(inputs));
        }
        if (scaled) {
            long channels = ((InputType.InputTypeConvolutional) inputs[0]).getChannels();
            if (!(inputs[2] instanceof InputType.InputTypeFeedForward ff) || ff.getSize() != channels) {
                throw new InvalidInputTypeException("ResidualMergeVertex: " + channels
                        + " channels need as many channel weights, got " + inputs[2]);
            }
        }
        return inputs[0];
    }
}
