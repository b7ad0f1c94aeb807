package io.seresnext.model;

/**
 * How the split-transform-merge part of a ResNeXt bottleneck is built (Xie et al. 2017, Fig. 3: the forms are
 * equivalent).
 */
public enum GroupedConvForm {
    /**
     * Form (b): C parallel paths of 1x1 and 3x3 convolutions, concatenated; every convolution of the network is
     * DL4J's stock {@code ConvolutionLayer}. The reference implementation.
     */
    CONCAT_PATHS,
    /**
     * Form (c): one 1x1 convolution and one grouped 3x3 convolution layer; every convolution of the network is a
     * {@code GroupedConvolution2D} on libnd4j's native conv2d (oneDNN on CPU, cuDNN on CUDA). The default.
     */
    GROUPED_LAYER
}
