package io.seresnext.model;

/** The network's first layers. */
public enum Stem {
    /** 7x7/2 convolution (64) + BN + ReLU + 3x3/2 max pooling: total stride 4. */
    IMAGENET(4),
    /** 3x3/1 convolution (64) + BN + ReLU: no downsampling. */
    CIFAR(1);

    private final int stride;

    Stem(int stride) {
        this.stride = stride;
    }

    public int stride() {
        return stride;
    }
}
