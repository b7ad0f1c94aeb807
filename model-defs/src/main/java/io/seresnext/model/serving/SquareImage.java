package io.seresnext.model.serving;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

/**
 * An image resized to a square: short side to {@code size}, centre crop, as RGB bytes in height-width-channel
 * order. The job stores its images this way and a serving application must resize the same way, so both call
 * this one implementation (java.awt only, no native image library).
 */
public final class SquareImage {

    private SquareImage() {
    }

    /** The image as size*size*3 RGB bytes (HWC). */
    public static byte[] rgb(BufferedImage image, int size) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = (double) size / Math.min(w, h);
        // halve in steps first: one bilinear pass over a large shrink skips pixels and aliases
        BufferedImage current = image;
        while (scale < 0.5) {
            w = Math.max(size, (w + 1) / 2);
            h = Math.max(size, (h + 1) / 2);
            current = draw(current, w, h, 0, 0, w, h);
            scale = (double) size / Math.min(w, h);
        }
        int sw = Math.max(size, (int) Math.round(w * scale));
        int sh = Math.max(size, (int) Math.round(h * scale));
        BufferedImage square = draw(current, size, size, -(sw - size) / 2, -(sh - size) / 2, sw, sh);
        byte[] bgr = ((DataBufferByte) square.getRaster().getDataBuffer()).getData();
        byte[] rgb = new byte[bgr.length];
        for (int i = 0; i < bgr.length; i += 3) {
            rgb[i] = bgr[i + 2];
            rgb[i + 1] = bgr[i + 1];
            rgb[i + 2] = bgr[i];
        }
        return rgb;
    }

    private static BufferedImage draw(BufferedImage src, int canvasW, int canvasH, int x, int y, int w, int h) {
        BufferedImage out = new BufferedImage(canvasW, canvasH, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, x, y, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
