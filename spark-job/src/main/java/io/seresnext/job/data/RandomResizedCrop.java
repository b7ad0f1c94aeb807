package io.seresnext.job.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The ImageNet recipe's training crop (torchvision's RandomResizedCrop): a window of a random share of the image's
 * area and a random aspect ratio (log-uniform), at a random position; after ten windows that do not fit, the
 * largest centred window whose ratio is in range. The loader resizes the window to the network's input.
 *
 * @param minScale smallest share of the image's area, e.g. 0.08
 * @param maxScale largest share, e.g. 1
 * @param minRatio smallest width / height, e.g. 3/4
 * @param maxRatio largest width / height, e.g. 4/3
 */
public record RandomResizedCrop(double minScale, double maxScale, double minRatio, double maxRatio)
        implements Serializable {

    /** A window of the stored image, in pixels. */
    public record Window(int x, int y, int width, int height) {
    }

    public RandomResizedCrop {
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
            throw new IllegalArgumentException("crop scale must satisfy 0 < min <= max <= 1, got [" + minScale
                    + ", " + maxScale + "]");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("crop ratio must satisfy 0 < min <= max, got [" + minRatio + ", "
                    + maxRatio + "]");
        }
    }

    /** A window of a {@code width} x {@code height} image. */
    public Window sample(int width, int height, SplittableRandom random) {
        double area = (double) width * height;
        double logMin = Math.log(minRatio);
        double logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + random.nextDouble() * (maxScale - minScale));
            double ratio = Math.exp(logMin + random.nextDouble() * (logMax - logMin));
            int w = (int) Math.round(Math.sqrt(target * ratio));
            int h = (int) Math.round(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                return new Window(random.nextInt(width - w + 1), random.nextInt(height - h + 1), w, h);
            }
        }
        double in = (double) width / height;
        int w = width;
        int h = height;
        if (in < minRatio) {
            h = (int) Math.round(w / minRatio);
        } else if (in > maxRatio) {
            w = (int) Math.round(h * maxRatio);
        }
        return new Window((width - w) / 2, (height - h) / 2, w, h);
    }
}
