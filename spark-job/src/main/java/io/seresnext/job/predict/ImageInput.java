package io.seresnext.job.predict;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.output.ModelStore;
import io.seresnext.model.serving.Preprocessing;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;

/**
 * One image, as a file's bytes or a row of Spark's image data source, made into the network's input on an
 * executor by the model's validation preprocessing: model-defs' {@link Preprocessing}, the one implementation that
 * evaluation and serving outside Spark use too.
 */
final class ImageInput implements Serializable {

    private static final long serialVersionUID = 1L;

    // OpenCV type codes Spark's image data source writes into its "mode" field
    private static final int CV_8UC1 = 0;
    private static final int CV_8UC3 = 16;
    private static final int CV_8UC4 = 24;

    private final int storedSize;
    private final int imageSize;
    private final List<Float> mean;
    private final List<Float> std;
    private transient Preprocessing preprocessing;

    private ImageInput(int storedSize, int imageSize, List<Float> mean, List<Float> std) {
        this.storedSize = storedSize;
        this.imageSize = imageSize;
        this.mean = List.copyOf(mean);
        this.std = List.copyOf(std);
        preprocessing(); // checks the sizes and statistics on the driver, before any task runs
    }

    /** What the model's job.conf says it was trained with. */
    static ImageInput of(JobConfig trained) {
        return new ImageInput(trained.data().storedSize(), trained.model().imageSize(), trained.data().mean(),
                trained.data().std());
    }

    int imageSize() {
        return imageSize;
    }

    /** Floats one image takes in a batch (CHW). */
    int imageFloats() {
        return 3 * imageSize * imageSize;
    }

    /** An image file's bytes (JPEG or PNG) -> normalised CHW floats at {@code dst[at]}. */
    void fromFile(byte[] file, float[] dst, int at) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(file));
        if (image == null) {
            throw new IOException("not a readable JPEG or PNG");
        }
        System.arraycopy(preprocessing().input(image), 0, dst, at, imageFloats());
    }

    /** A row of Spark's image data source (BGR, BGRA or grey bytes) -> normalised CHW floats at {@code dst[at]}. */
    void fromImageRow(Row image, float[] dst, int at) throws IOException {
        System.arraycopy(preprocessing().input(bufferedImage(image)), 0, dst, at, imageFloats());
    }

    static BufferedImage bufferedImage(Row image) throws IOException {
        int height = image.getInt(image.fieldIndex("height"));
        int width = image.getInt(image.fieldIndex("width"));
        int mode = image.getInt(image.fieldIndex("mode"));
        byte[] data = image.getAs("data");
        if (height <= 0 || width <= 0 || data == null || data.length == 0) {
            // what the image source gives for an undecodable file when dropInvalid is off
            throw new IOException("not a readable image (the image data source could not decode it)");
        }
        int channels = switch (mode) {
            case CV_8UC1 -> 1;
            case CV_8UC3 -> 3;
            case CV_8UC4 -> 4;
            default -> throw new IOException("unsupported image mode " + mode + " (8-bit grey, BGR or BGRA only)");
        };
        if (data.length != height * width * channels) {
            throw new IOException(data.length + " bytes for a " + width + "x" + height + "x" + channels + " image");
        }
        if (channels == 1) {
            BufferedImage grey = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            System.arraycopy(data, 0, ((DataBufferByte) grey.getRaster().getDataBuffer()).getData(), 0, data.length);
            return grey;
        }
        BufferedImage bgr = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] pixels = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
        if (channels == 3) {
            System.arraycopy(data, 0, pixels, 0, data.length); // the source's order is this image type's: B, G, R
        } else {
            for (int i = 0, o = 0; i < data.length; i += 4, o += 3) { // alpha dropped
                pixels[o] = data[i];
                pixels[o + 1] = data[i + 1];
                pixels[o + 2] = data[i + 2];
            }
        }
        return bgr;
    }

    private Preprocessing preprocessing() {
        if (preprocessing == null) { // model-defs' record is not Serializable: rebuilt on each executor
            preprocessing = new Preprocessing(storedSize, imageSize, mean, std, ModelStore.LABELS);
        }
        return preprocessing;
    }
}
