package io.seresnext.job.bench;

import io.seresnext.job.cli.Command;
import io.seresnext.job.data.BatchPlan;
import io.seresnext.job.data.ImageDecoder;
import io.seresnext.job.data.ShardBatchLoader;
import io.seresnext.job.data.ShardFormat;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import io.seresnext.job.data.RandomResizedCrop;
import org.apache.hadoop.conf.Configuration;

/**
 * The data path's two costs, on one core each: decoding a source JPEG into the stored square (paid once, by
 * {@code prepare}), and turning stored images into an augmented minibatch (paid every epoch, by the loader). Source
 * images are drawn at the requested size and JPEG-encoded first (untimed); each figure is the median of its passes.
 */
public final class DataBenchmark {

    private DataBenchmark() {
    }

    public static Map<String, Object> run(Command.BenchData b) throws IOException {
        Random random = new Random(1);
        List<byte[]> jpegs = new ArrayList<>();
        for (int i = 0; i < b.images(); i++) {
            jpegs.add(jpeg(b.sourceWidth(), b.sourceHeight(), random));
        }
        Path dir = Files.createTempDirectory("bench-data");
        Path shard = dir.resolve("train-00000.shard");
        List<Double> decodeRates = new ArrayList<>();
        for (int pass = 0; pass < b.passes(); pass++) {
            long start = System.nanoTime();
            try (DataOutputStream out = new DataOutputStream(new FileOutputStream(shard.toFile()))) {
                ShardFormat.writeHeader(out, b.storedSize());
                for (int i = 0; i < jpegs.size(); i++) {
                    byte[] pixels = ImageDecoder.decodeSquare(jpegs.get(i), b.storedSize());
                    ShardFormat.writeRecord(out, i % 1000, pixels);
                }
            }
            decodeRates.add(jpegs.size() / ((System.nanoTime() - start) / 1e9));
        }

        String directory = dir.toUri().toString().replaceAll("/$", "");
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        List<Double> loadRates = loadRates(new ShardBatchLoader(new Configuration(), b.imageSize(), 1000, mean, std,
                true, 1), b, directory, shard);
        List<Double> resizedRates = loadRates(new ShardBatchLoader(new Configuration(), b.imageSize(), 1000, mean,
                std, true, 1, new RandomResizedCrop(0.08, 1.0, 3.0 / 4, 4.0 / 3)), b, directory, shard);
        Files.delete(shard);
        Files.delete(dir);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("source", b.sourceWidth() + "x" + b.sourceHeight() + " JPEG");
        r.put("source_kb_mean", Math.round(jpegs.stream().mapToLong(j -> j.length).average().orElse(0) / 1024));
        r.put("stored_size", b.storedSize());
        r.put("image_size", b.imageSize());
        r.put("batch", b.batch());
        r.put("images", b.images());
        r.put("decode_imgs_per_s_per_core_median", round(Medians.of(decodeRates)));
        r.put("load_augment_imgs_per_s_per_core_median", round(Medians.of(loadRates)));
        r.put("load_random_resized_crop_imgs_per_s_per_core_median", round(Medians.of(resizedRates)));
        return r;
    }

    /** Images/sec of each pass turning the stored shard into augmented training batches. */
    private static List<Double> loadRates(ShardBatchLoader loader, Command.BenchData b, String directory, Path shard)
            throws IOException {
        List<Double> rates = new ArrayList<>();
        for (int pass = 0; pass < b.passes(); pass++) {
            long start = System.nanoTime();
            int images = 0;
            for (int first = 0; first + b.batch() <= b.images(); first += b.batch()) {
                List<BatchPlan.Run> runs = new ArrayList<>();
                for (int r = first; r < first + b.batch(); r += 8) {
                    runs.add(new BatchPlan.Run(shard.getFileName().toString(), r, Math.min(8, first + b.batch() - r)));
                }
                images += loader.load(BatchPlan.descriptorFor(directory, "train", pass + 1, runs)).numExamples();
            }
            rates.add(images / ((System.nanoTime() - start) / 1e9));
        }
        return rates;
    }

    /** A photo-like source: smooth gradients, a few shapes and sensor-like noise. */
    private static byte[] jpeg(int w, int h, Random random) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt()), w, h, new Color(random.nextInt())));
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < 12; i++) {
            g.setColor(new Color(random.nextInt(), true));
            g.fillOval(random.nextInt(w), random.nextInt(h), 20 + random.nextInt(w / 2), 20 + random.nextInt(h / 2));
        }
        g.dispose();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int n = (int) (random.nextGaussian() * 16);
                int rgb = image.getRGB(x, y);
                image.setRGB(x, y, (clamp((rgb >> 16 & 0xff) + n) << 16) | (clamp((rgb >> 8 & 0xff) + n) << 8)
                        | clamp((rgb & 0xff) + n));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
