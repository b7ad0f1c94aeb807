package io.seresnext.model;

/**
 * How the split-transform-merge part of a ResNeXt bottleneck is built (Xie et al. 2017, Fig. 3: the forms are
 * equivalent).
 */
public enum GroupedConvForm {
    /** Form (b): C parallel paths of 1x1 and 3x3 convolutions from stock DL4J layers, concatenated. */
    CONCAT_PATHS,
    /** Form (c): one 1x1 convolution and one grouped 3x3 convolution layer ({@code GroupedConvolution2D}). */
    GROUPED_LAYER
}
