package io.seresnext.model;

/**
 * One row of the architecture table: {@code blocks} bottlenecks whose transform is {@code width} channels wide
 * (cardinality x group width), producing {@code outChannels}; the first block has stride {@code stride}.
 */
public record StageSpec(int blocks, int width, int outChannels, int stride) {
    public StageSpec {
        if (blocks < 1 || width < 1 || outChannels < 1 || (stride != 1 && stride != 2)) {
            throw new IllegalArgumentException("invalid stage: blocks=" + blocks + " width=" + width
                    + " outChannels=" + outChannels + " stride=" + stride);
        }
    }
}
