package io.seresnext.job.data;

import io.seresnext.model.serving.SquareImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes a JPEG or PNG (colour or grey, any size) and resizes it to the stored square: short side to
 * {@code size}, centre crop ({@link SquareImage}, which a serving application uses too). Uses the JDK's ImageIO,
 * so no native image library has to ship to the executors.
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
        return SquareImage.rgb(image, size);
    }
}
