package io.seresnext.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/** Array helpers the custom layers and vertices share. */
public final class NdArrays {

    private NdArrays() {
    }

    /** {@code a} itself when it is a dense C-order array from its buffer's start, else a C-order copy: libnd4j's
     * row reductions and batched ops read the buffer as such. */
    public static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && Shape.hasDefaultStridesForShape(a) ? a : a.dup('c');
    }

    /** ReLU of {@code a}, in place. */
    public static void reluInPlace(INDArray a) {
        Nd4j.exec(DynamicCustomOp.builder("relu").addInputs(a).addOutputs(a).addFloatingPointArguments(0.0).build());
    }

    /**
     * The gradient through a ReLU into {@code out}, from its output (positive exactly where its input was) and the
     * gradient at that output.
     */
    public static void reluBackward(INDArray reluOutput, INDArray epsilon, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("relu_bp").addInputs(reluOutput, epsilon).addOutputs(out)
                .addFloatingPointArguments(0.0).build());
    }
}
