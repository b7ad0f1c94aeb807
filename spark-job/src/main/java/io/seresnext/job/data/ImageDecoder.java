package io.seresnext.job.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes a JPEG or PNG (colour or grey, any size) and resizes it to the stored square: short side to
 * {@code size}, centre crop. Uses the JDK's ImageIO, so no native image library has to ship to the executors.
 */
public final class ImageDecoder {

    static {
        ImageIO.setUseCache(false); // decode in memory, never through temp files on the executors' disks
    }

    private ImageDecoder() {
    }

    /** The image as size*size*3 RGB bytes (HWC). */
    public static byte[] decodeSquare(byte[] file, int size) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(file));
        if (image == null) {
            throw new IOException("not a readable JPEG or PNG");
        }
        return squareRgb(image, size);
    }

    /** An already decoded image (e.g. a row of Spark's image data source) as {@link #decodeSquare} gives it. */
    public static byte[] squareRgb(BufferedImage image, int size) {
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
