package io.seresnext.model;

/** The residual shortcut used where a block changes the shape of its input. */
public enum ShortcutType {
    /** 1x1 convolution (with the block's stride) + BN: the timm/torchvision convention. */
    PROJECTION,
    /** 2x2 average pooling where the stride is 2, then zero channel padding: parameter-free (the seed network). */
    AVGPOOL_ZERO_PAD
}
