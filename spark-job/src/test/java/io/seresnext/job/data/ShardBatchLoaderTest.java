package io.seresnext.job.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class ShardBatchLoaderTest {

    private static final int STORED = 6;
    private static final int CROP = 4;
    private static final float[] MEAN = {0.5f, 0.4f, 0.3f};
    private static final float[] STD = {0.2f, 0.25f, 0.5f};

    @TempDir
    Path dir;
    private byte[][] images;
    private int[] labels;

    @BeforeEach
    void writeShard() throws IOException {
        Random random = new Random(3);
        images = new byte[10][STORED * STORED * 3];
        labels = new int[10];
        try (DataOutputStream out = new DataOutputStream(new FileOutputStream(dir.resolve("train-00000.shard")
                .toFile()))) {
            ShardFormat.writeHeader(out, STORED);
            for (int i = 0; i < 10; i++) {
                random.nextBytes(images[i]);
                labels[i] = i % 3;
                out.writeInt(labels[i]);
                out.write(images[i]);
            }
        }
    }

    private ShardBatchLoader loader() {
        return new ShardBatchLoader(new Configuration(), CROP, 3, MEAN, STD, true, 11);
    }

    private String descriptor(int epoch, BatchPlan.Run... runs) {
        return BatchPlan.descriptor(dir.toUri().toString().replaceAll("/$", ""), "train", epoch, List.of(runs));
    }

    /** The expected normalised CHW crop of stored image i. */
    private float[] crop(int i, int ox, int oy, boolean mirror) {
        float[] out = new float[3 * CROP * CROP];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < CROP; y++) {
                for (int x = 0; x < CROP; x++) {
                    int sx = mirror ? ox + CROP - 1 - x : ox + x;
                    float v = (images[i][((oy + y) * STORED + sx) * 3 + c] & 0xff) / 255f;
                    out[(c * CROP + y) * CROP + x] = (v - MEAN[c]) / STD[c];
                }
            }
        }
        return out;
    }

    private static boolean close(float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > 1e-5f) {
                return false;
            }
        }
        return true;
    }

    private static float[] row(DataSet ds, int i) {
        return ds.getFeatures().slice(i).dup().data().asFloat();
    }

    @Test
    void evaluationBatchesAreTheNormalisedCentreCrop() throws IOException {
        DataSet ds = loader().load(descriptor(-1, new BatchPlan.Run("train-00000.shard", 3, 4)));
        assertArrayEquals(new long[] {4, 3, CROP, CROP}, ds.getFeatures().shape());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(crop(3 + i, 1, 1, false), row(ds, i), 1e-5f);
            assertEquals(1f, ds.getLabels().getFloat(i, labels[3 + i]));
            assertEquals(1f, ds.getLabels().getRow(i).sumNumber().floatValue());
        }
    }

    @Test
    void trainingBatchesAreARandomCropOrItsMirror() throws IOException {
        DataSet ds = loader().load(descriptor(2, new BatchPlan.Run("train-00000.shard", 8, 2),
                new BatchPlan.Run("train-00000.shard", 0, 3)));
        int[] order = {8, 9, 0, 1, 2};
        int mirrored = 0;
        for (int i = 0; i < order.length; i++) {
            float[] actual = row(ds, i);
            boolean found = false;
            for (int ox = 0; ox <= STORED - CROP && !found; ox++) {
                for (int oy = 0; oy <= STORED - CROP && !found; oy++) {
                    for (boolean m : new boolean[] {false, true}) {
                        if (close(crop(order[i], ox, oy, m), actual)) {
                            found = true;
                            mirrored += m ? 1 : 0;
                            break;
                        }
                    }
                }
            }
            assertTrue(found, "image " + i + " is a crop of stored image " + order[i]);
        }
        assertEquals(5, ds.numExamples());
        assertTrue(mirrored <= 5);
    }

    @Test
    void aBatchIsReproducibleAndEpochsDiffer() throws IOException {
        BatchPlan.Run run = new BatchPlan.Run("train-00000.shard", 0, 10);
        DataSet a = loader().load(descriptor(1, run));
        assertEquals(a.getFeatures(), loader().load(descriptor(1, run)).getFeatures());
        assertNotEquals(a.getFeatures(), loader().load(descriptor(2, run)).getFeatures());
    }

    @Test
    void aLabelBeyondTheModelIsAnError() {
        ShardBatchLoader twoClasses = new ShardBatchLoader(new Configuration(), CROP, 2, MEAN, STD, true, 11);
        IOException e = assertThrows(IOException.class,
                () -> twoClasses.load(descriptor(-1, new BatchPlan.Run("train-00000.shard", 0, 3))));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
    }

    @Test
    void decoderReadsGreyPngAndColourJpegAtAnySize() throws IOException {
        BufferedImage grey = new BufferedImage(50, 20, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.setColor(new Color(200, 200, 200));
        g.fillRect(0, 0, 50, 20);
        g.dispose();
        byte[] pixels = ImageDecoder.decodeSquare(encode(grey, "png"), 8);
        assertEquals(8 * 8 * 3, pixels.length);
        for (int i = 0; i < pixels.length; i += 3) {
            assertEquals(pixels[i], pixels[i + 1]);
            assertEquals(pixels[i], pixels[i + 2]);
            assertEquals(200, pixels[i] & 0xff, 2);
        }

        BufferedImage red = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
        g = red.createGraphics();
        g.setColor(new Color(220, 10, 30));
        g.fillRect(0, 0, 500, 375);
        g.dispose();
        byte[] rgb = ImageDecoder.decodeSquare(encode(red, "jpg"), 36);
        assertEquals(36 * 36 * 3, rgb.length);
        assertEquals(220, rgb[0] & 0xff, 8, "R first");
        assertEquals(10, rgb[1] & 0xff, 8);
        assertEquals(30, rgb[2] & 0xff, 8);

        assertThrows(IOException.class, () -> ImageDecoder.decodeSquare("text".getBytes(), 8));
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out));
        return out.toByteArray();
    }
}
