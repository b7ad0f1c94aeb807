package io.seresnext.job.predict;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.ImageDecoder;
import io.seresnext.job.data.ShardBatchLoader;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;

/**
 * A model's validation preprocessing, applied on the executors to one image at a time: decode, short side to the
 * stored size and centre square ({@link ImageDecoder}), then the centre crop and normalisation of
 * {@link ShardBatchLoader}, so that a predicted image is prepared exactly as evaluation prepares it.
 */
public final class Preprocessing implements Serializable {

    private static final long serialVersionUID = 1L;

    // OpenCV type codes Spark's image data source writes into its "mode" field
    private static final int CV_8UC1 = 0;
    private static final int CV_8UC3 = 16;
    private static final int CV_8UC4 = 24;

    private final int storedSize;
    private final int imageSize;
    private final float[] mean;
    private final float[] std;
    private transient ShardBatchLoader crop;

    public Preprocessing(int storedSize, int imageSize, float[] mean, float[] std) {
        if (storedSize < imageSize) {
            throw new IllegalArgumentException("stored size " + storedSize + " < image size " + imageSize);
        }
        this.storedSize = storedSize;
        this.imageSize = imageSize;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** What the model's job.conf says it was trained with. */
    public static Preprocessing of(JobConfig trained) {
        return new Preprocessing(trained.data().storedSize(), trained.model().imageSize(), trained.data().meanArray(),
                trained.data().stdArray());
    }

    public int imageSize() {
        return imageSize;
    }

    /** Floats one image takes in a batch (CHW). */
    public int imageFloats() {
        return 3 * imageSize * imageSize;
    }

    /** An image file's bytes -> normalised CHW floats at {@code dst[at]}. */
    public void fromFile(byte[] file, float[] dst, int at) throws IOException {
        crop().writeCentreCrop(ImageDecoder.decodeSquare(file, storedSize), storedSize, dst, at);
    }

    /** A row of Spark's image data source (BGR or BGRA or grey bytes) -> normalised CHW floats at {@code dst[at]}. */
    public void fromImageRow(Row image, float[] dst, int at) throws IOException {
        crop().writeCentreCrop(ImageDecoder.squareRgb(bufferedImage(image), storedSize), storedSize, dst, at);
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

    private ShardBatchLoader crop() {
        if (crop == null) { // built on the executor; its Hadoop configuration is never used for a crop
            crop = new ShardBatchLoader(new Configuration(false), imageSize, 0, mean, std, false, 0);
        }
        return crop;
    }
}
