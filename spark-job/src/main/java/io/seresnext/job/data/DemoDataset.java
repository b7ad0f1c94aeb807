package io.seresnext.job.data;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A small image dataset drawn procedurally, for the embedded default run and the tests: real PNG files in
 * ImageNet layout (train/ and val/, one folder per class), one shape per class in random colour, size, position
 * and rotation over a noisy background; image sizes vary and some are grey, so the decoder's resize and grey
 * paths are exercised. A small SE-ResNeXt learns it well within a few epochs.
 */
public final class DemoDataset {

    public static final List<String> CLASSES = List.of("circle", "cross", "ring", "square", "stripes", "triangle");

    private DemoDataset() {
    }

    /** Writes {@code trainPerClass} and {@code valPerClass} images of each of the first {@code classes} shapes. */
    public static void write(String root, Configuration conf, int classes, int trainPerClass, int valPerClass,
                             long seed) throws IOException {
        if (classes < 2 || classes > CLASSES.size()) {
            throw new IllegalArgumentException("classes must be in [2, " + CLASSES.size() + "], got " + classes);
        }
        FileSystem fs = HadoopFiles.fileSystem(root, conf);
        Random random = new Random(seed);
        for (String split : List.of(ImageFolderIndex.TRAIN, ImageFolderIndex.VAL)) {
            int perClass = split.equals(ImageFolderIndex.TRAIN) ? trainPerClass : valPerClass;
            for (int c = 0; c < classes; c++) {
                Path dir = new Path(new Path(root, split), CLASSES.get(c));
                fs.mkdirs(dir);
                for (int i = 0; i < perClass; i++) {
                    BufferedImage image = draw(c, random);
                    try (OutputStream out = fs.create(new Path(dir, String.format(Locale.ROOT, "%s_%04d.png",
                            CLASSES.get(c), i)), true)) {
                        ImageIO.write(image, "png", out);
                    }
                }
            }
        }
    }

    static BufferedImage draw(int shape, Random random) {
        int w = 32 + random.nextInt(33);
        int h = 32 + random.nextInt(33);
        boolean grey = random.nextInt(8) == 0;
        BufferedImage image = new BufferedImage(w, h, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        Color background = new Color(random.nextInt(120), random.nextInt(120), random.nextInt(120));
        g.setColor(background);
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < w * h / 6; i++) { // speckle noise
            int v = random.nextInt(256);
            g.setColor(new Color(v, v, v, 60));
            g.fillRect(random.nextInt(w), random.nextInt(h), 1, 1);
        }
        g.setColor(new Color(135 + random.nextInt(121), 135 + random.nextInt(121), 135 + random.nextInt(121)));
        double side = Math.min(w, h) * (0.45 + 0.4 * random.nextDouble());
        double cx = w / 2.0 + (random.nextDouble() - 0.5) * (w - side) * 0.8;
        double cy = h / 2.0 + (random.nextDouble() - 0.5) * (h - side) * 0.8;
        AffineTransform at = new AffineTransform();
        at.translate(cx, cy);
        at.rotate(random.nextDouble() * Math.PI / 6 - Math.PI / 12);
        g.transform(at);
        double r = side / 2;
        float stroke = (float) Math.max(2, side / 7);
        switch (CLASSES.get(shape)) {
            case "circle" -> g.fill(new Ellipse2D.Double(-r, -r, side, side));
            case "square" -> g.fill(new Rectangle2D.Double(-r, -r, side, side));
            case "triangle" -> {
                Path2D p = new Path2D.Double();
                p.moveTo(0, -r);
                p.lineTo(r, r);
                p.lineTo(-r, r);
                p.closePath();
                g.fill(p);
            }
            case "ring" -> {
                g.setStroke(new BasicStroke(stroke));
                g.draw(new Ellipse2D.Double(-r + stroke / 2, -r + stroke / 2, side - stroke, side - stroke));
            }
            case "cross" -> {
                g.fill(new Rectangle2D.Double(-r, -stroke / 2, side, stroke));
                g.fill(new Rectangle2D.Double(-stroke / 2, -r, stroke, side));
            }
            case "stripes" -> {
                for (int k = 0; k < 3; k++) {
                    g.fill(new Rectangle2D.Double(-r, -r + k * side / 2.5, side, stroke));
                }
            }
            default -> throw new IllegalArgumentException("no such shape " + shape);
        }
        g.dispose();
        return image;
    }
}
