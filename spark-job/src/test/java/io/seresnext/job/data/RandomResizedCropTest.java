package io.seresnext.job.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class RandomResizedCropTest {

    private static final RandomResizedCrop IMAGENET = new RandomResizedCrop(0.08, 1.0, 3.0 / 4, 4.0 / 3);

    @Test
    void windowsLieInsideTheImageWithinTheScaleAndRatioRanges() {
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 20_000; i++) {
            RandomResizedCrop.Window w = IMAGENET.sample(256, 256, random);
            assertTrue(w.x() >= 0 && w.y() >= 0 && w.x() + w.width() <= 256 && w.y() + w.height() <= 256, "" + w);
            double area = w.width() * (double) w.height() / (256 * 256);
            double ratio = w.width() / (double) w.height();
            // rounding the sides to pixels moves area and ratio a little past the drawn values
            assertTrue(area >= 0.08 * 0.98 && area <= 1, "area share " + area);
            assertTrue(ratio >= 0.75 * 0.98 && ratio <= 4.0 / 3 * 1.02, "ratio " + ratio);
        }
    }

    /**
     * torchvision's sampler draws the area share uniformly and the ratio log-uniformly, keeps the first of ten
     * draws that fits and otherwise takes the whole (square) image: the accepted draws are uniform over the part of
     * the (share, log ratio) rectangle where both sides fit. The expected moments are integrated here on a grid,
     * independently of the implementation, and compared with 200,000 windows.
     */
    @Test
    void windowsFollowTorchvisionsDistributionOnASquareImage() {
        int grid = 2000;
        double lo = Math.log(0.75);
        double hi = Math.log(4.0 / 3);
        double fits = 0;
        double areaSum = 0;
        double logRatioAbsSum = 0;
        for (int i = 0; i < grid; i++) {
            double a = 0.08 + (i + 0.5) / grid * (1 - 0.08);
            for (int j = 0; j < grid; j++) {
                double logR = lo + (j + 0.5) / grid * (hi - lo);
                double r = Math.exp(logR);
                if (a * r <= 1 && a / r <= 1) {
                    fits++;
                    areaSum += a;
                    logRatioAbsSum += Math.abs(logR);
                }
            }
        }
        double accept = fits / ((double) grid * grid);
        double anyOfTen = 1 - Math.pow(1 - accept, 10);
        double expectedArea = anyOfTen * areaSum / fits + (1 - anyOfTen);
        double expectedAbsLogRatio = anyOfTen * logRatioAbsSum / fits;

        SplittableRandom random = new SplittableRandom(5);
        int n = 200_000;
        double area = 0;
        double absLogRatio = 0;
        for (int i = 0; i < n; i++) {
            RandomResizedCrop.Window w = IMAGENET.sample(512, 512, random);
            area += w.width() * (double) w.height() / (512 * 512);
            absLogRatio += Math.abs(Math.log(w.width() / (double) w.height()));
        }
        assertEquals(expectedArea, area / n, 0.004, "mean area share");
        assertEquals(expectedAbsLogRatio, absLogRatio / n, 0.003, "mean |log ratio|");
    }

    @Test
    void aWindowThatCannotFitFallsBackToTheWholeSquare() {
        RandomResizedCrop wide = new RandomResizedCrop(1.0, 1.0, 2.0, 3.0); // full area at ratio >= 2 never fits
        RandomResizedCrop.Window w = wide.sample(64, 64, new SplittableRandom(1));
        assertEquals(new RandomResizedCrop.Window(0, 16, 64, 32), w, "ratio clamped to 2, centred");
    }

    @Test
    void badRangesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0.5, 0.2, 0.75, 1.33));
        assertThrows(IllegalArgumentException.class, () -> new RandomResizedCrop(0.08, 1.0, 0, 1.33));
    }

    private static ShardBatchLoader loader(int imageSize) {
        return new ShardBatchLoader(new Configuration(), imageSize, 2, new float[] {0, 0, 0}, new float[] {1, 1, 1},
                false, 1, IMAGENET);
    }

    /** An 8x8 RGB square whose red channel is 10 * x + y, green 100, blue 0. */
    private static byte[] ramp(int size) {
        byte[] hwc = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                hwc[(y * size + x) * 3] = (byte) (10 * x + y);
                hwc[(y * size + x) * 3 + 1] = 100;
            }
        }
        return hwc;
    }

    @Test
    void theWholeImageAtItsOwnSizeIsCopied() {
        float[] out = new float[3 * 64];
        loader(8).writeResized(ramp(8), 0, 8, new RandomResizedCrop.Window(0, 0, 8, 8), false, out, 0);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertEquals((10 * x + y) / 255f, out[y * 8 + x], 1e-6);
                assertEquals(100 / 255f, out[64 + y * 8 + x], 1e-6);
            }
        }
    }

    @Test
    void halvingAWindowAveragesPixelPairsAndMirroringReversesRows() {
        float[] out = new float[3 * 4];
        // the window x in [2, 6), y in [4, 8) of the ramp, to 2x2: each output averages a 2x2 block
        loader(2).writeResized(ramp(8), 0, 8, new RandomResizedCrop.Window(2, 4, 4, 4), false, out, 0);
        float[] red = {(10 * 2.5f + 4.5f) / 255, (10 * 4.5f + 4.5f) / 255, (10 * 2.5f + 6.5f) / 255,
                (10 * 4.5f + 6.5f) / 255};
        assertArrayEquals(red, java.util.Arrays.copyOf(out, 4), 1e-6f);
        float[] mirrored = new float[3 * 4];
        loader(2).writeResized(ramp(8), 0, 8, new RandomResizedCrop.Window(2, 4, 4, 4), true, mirrored, 0);
        assertArrayEquals(new float[] {red[1], red[0], red[3], red[2]}, java.util.Arrays.copyOf(mirrored, 4), 1e-6f);
    }
}
