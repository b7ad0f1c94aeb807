package io.seresnext.model.serving;

import java.io.Serializable;

/**
 * Per-channel normalisation of 8-bit pixels, {@code (pixel / 255 - mean) / std}, written as one multiply-add so
 * that the job's batch loader and a serving application compute the same floats.
 */
public final class Normalisation implements Serializable {

    private static final long serialVersionUID = 1L;

    private final float[] scale = new float[3];
    private final float[] shift = new float[3];

    /** @param mean per channel, on pixels scaled to [0, 1]; @param std likewise */
    public Normalisation(float[] mean, float[] std) {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need three values each (R, G, B)");
        }
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * std[c]);
            shift[c] = -mean[c] / std[c];
        }
    }

    public float scale(int channel) {
        return scale[channel];
    }

    public float shift(int channel) {
        return shift[channel];
    }

    /**
     * A {@code size} square of HWC bytes (a square of side {@code stored} starting at {@code srcStart}) at
     * {@code (ox, oy)} -> normalised CHW floats at {@code dstStart}, mirrored left-right when asked.
     */
    public void writeCrop(byte[] src, int srcStart, int stored, int ox, int oy, int size, boolean mirror,
                          float[] dst, int dstStart) {
        for (int c = 0; c < 3; c++) {
            float sc = scale[c];
            float sh = shift[c];
            int out = dstStart + c * size * size;
            for (int y = 0; y < size; y++) {
                int row = srcStart + ((oy + y) * stored + ox) * 3 + c;
                if (mirror) {
                    for (int x = size - 1; x >= 0; x--) {
                        dst[out++] = (src[row + x * 3] & 0xff) * sc + sh;
                    }
                } else {
                    for (int x = 0; x < size; x++) {
                        dst[out++] = (src[row + x * 3] & 0xff) * sc + sh;
                    }
                }
            }
        }
    }
}
