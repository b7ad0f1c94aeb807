package io.seresnext.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Views into parameter, gradient and activation arrays, sharing their buffers.
 *
 * <p>Built from shape, strides and offset directly: ND4J 1.0.0-M2.1's {@code INDArray.get(interval(...))} returned
 * an empty array for some blocks of a parameter view (rows 64..80 of the [128, 16, 3, 3] grouped weight of
 * {@code seresnext29_8x16d_w1}, which sits at an offset inside the network's flattened parameters), so the native
 * op failed with "Op validation failed". {@code PresetShapeTest.forwardPassGivesClassProbabilities} fails without
 * these views. Parameter views are cut the same way for consistency.
 */
final class GroupSlices {

    private GroupSlices() {
    }

    /** {@code shape}-shaped c-order view of elements {@code [from, from + prod(shape))} of a contiguous vector. */
    static INDArray range(INDArray contiguous, long from, long... shape) {
        if (contiguous.elementWiseStride() != 1) {
            throw new IllegalArgumentException("expected a contiguous parameter view, got " + contiguous.shapeInfoToString());
        }
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        if (from + s > contiguous.length()) {
            throw new IllegalArgumentException("view [" + from + ", " + (from + s) + ") exceeds length " + contiguous.length());
        }
        return Nd4j.create(contiguous.data(), shape, stride, contiguous.offset() + from, 'c', contiguous.dataType());
    }

    /** Block {@code g} of {@code groups} equal blocks of {@code a} along dimension {@code dim}. */
    static INDArray block(INDArray a, int dim, int g, int groups) {
        if (groups == 1) {
            return a;
        }
        long[] shape = a.shape().clone(); // shape() may expose the array's own descriptor
        long[] stride = a.stride();
        long per = shape[dim] / groups;
        shape[dim] = per;
        return Nd4j.create(a.data(), shape, stride, a.offset() + g * per * stride[dim], a.ordering(), a.dataType());
    }
}
