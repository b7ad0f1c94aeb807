package io.seresnext.job.data;

import io.seresnext.model.serving.Normalisation;
import java.io.IOException;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Turns a {@link BatchPlan} descriptor into a minibatch on the executor that trains on it: positional reads of
 * the stored runs, then crop, flip and per-channel normalisation written straight into the one float buffer that
 * becomes the features array. Training batches get a random crop and flip (seeded by the descriptor, so a batch
 * is reproducible); evaluation batches the centre crop.
 */
public final class ShardBatchLoader implements DataSetLoader {

    private final SerializableHadoopConfig hadoopConf;
    private final int imageSize;
    private final int numClasses;
    private final Normalisation normalisation;
    private final boolean flip;
    private final long seed;
    /** null: fixed-size random crops */
    private final RandomResizedCrop resizedCrop;

    public ShardBatchLoader(Configuration conf, int imageSize, int numClasses, float[] mean, float[] std,
                            boolean flip, long seed) {
        this(conf, imageSize, numClasses, mean, std, flip, seed, null);
    }

    public ShardBatchLoader(Configuration conf, int imageSize, int numClasses, float[] mean, float[] std,
                            boolean flip, long seed, RandomResizedCrop resizedCrop) {
        this.hadoopConf = new SerializableHadoopConfig(conf);
        this.imageSize = imageSize;
        this.numClasses = numClasses;
        this.normalisation = new Normalisation(mean, std);
        this.flip = flip;
        this.seed = seed;
        this.resizedCrop = resizedCrop;
    }

    @Override
    public DataSet load(Source source) throws IOException {
        return load(source.getPath());
    }

    public DataSet load(String descriptor) throws IOException {
        BatchPlan.Batch batch = BatchPlan.parse(descriptor);
        boolean training = batch.epoch() >= 0;
        SplittableRandom random = new SplittableRandom(seed ^ descriptor.hashCode() * 0x9E3779B97F4A7C15L);
        int n = batch.size();
        int plane = imageSize * imageSize;
        float[] features = new float[n * 3 * plane];
        float[] labels = new float[n * numClasses];
        FileSystem fs = new Path(batch.directory()).getFileSystem(hadoopConf.getConfiguration());
        int image = 0;
        byte[] buffer = null;
        for (BatchPlan.Run run : batch.runs()) {
            Path shard = new Path(batch.directory(), run.shard());
            try (FSDataInputStream in = fs.open(shard)) {
                int stored = ShardFormat.readHeader(in, shard.toString());
                if (stored < imageSize) {
                    throw new IOException(shard + " stores " + stored + "px images, smaller than the " + imageSize
                            + "px crop");
                }
                int record = ShardFormat.recordBytes(stored);
                int length = record * run.count();
                if (buffer == null || buffer.length < length) {
                    buffer = new byte[length];
                }
                in.readFully(ShardFormat.offsetOf(run.start(), stored), buffer, 0, length);
                for (int i = 0; i < run.count(); i++, image++) {
                    int at = i * record;
                    int label = ((buffer[at] & 0xff) << 24) | ((buffer[at + 1] & 0xff) << 16)
                            | ((buffer[at + 2] & 0xff) << 8) | (buffer[at + 3] & 0xff);
                    if (label < 0 || label >= numClasses) {
                        throw new IOException(shard + " record " + (run.start() + i) + " has label " + label
                                + ", the model has " + numClasses + " classes");
                    }
                    labels[image * numClasses + label] = 1f;
                    int dst = image * 3 * plane;
                    if (training && resizedCrop != null) {
                        RandomResizedCrop.Window w = resizedCrop.sample(stored, stored, random);
                        writeResized(buffer, at + 4, stored, w, flip && random.nextBoolean(), features, dst);
                        continue;
                    }
                    int margin = stored - imageSize;
                    int ox = training ? random.nextInt(margin + 1) : margin / 2;
                    int oy = training ? random.nextInt(margin + 1) : margin / 2;
                    boolean mirror = training && flip && random.nextBoolean();
                    normalisation.writeCrop(buffer, at + 4, stored, ox, oy, imageSize, mirror, features, dst);
                }
            }
        }
        return new DataSet(Nd4j.create(features, new long[] {n, 3, imageSize, imageSize}, 'c'),
                Nd4j.create(labels, new long[] {n, numClasses}, 'c'));
    }

    /**
     * HWC bytes of a window of the stored square -> normalised CHW floats at the network's input size, bilinear
     * with pixel centres aligned (as PyTorch's interpolate without align_corners), mirrored when asked.
     */
    void writeResized(byte[] src, int srcStart, int stored, RandomResizedCrop.Window w, boolean mirror,
                      float[] dst, int dstStart) {
        int size = imageSize;
        int[] x0 = new int[size];
        int[] x1 = new int[size];
        float[] fx = new float[size];
        int[] y0 = new int[size];
        int[] y1 = new int[size];
        float[] fy = new float[size];
        taps(w.x(), w.width(), x0, x1, fx);
        taps(w.y(), w.height(), y0, y1, fy);
        for (int c = 0; c < 3; c++) {
            float sc = normalisation.scale(c);
            float sh = normalisation.shift(c);
            int out = dstStart + c * size * size;
            for (int y = 0; y < size; y++) {
                int r0 = srcStart + y0[y] * stored * 3 + c;
                int r1 = srcStart + y1[y] * stored * 3 + c;
                float wy = fy[y];
                for (int i = 0; i < size; i++) {
                    int x = mirror ? size - 1 - i : i;
                    float top = (src[r0 + x0[x] * 3] & 0xff) * (1 - fx[x]) + (src[r0 + x1[x] * 3] & 0xff) * fx[x];
                    float bottom = (src[r1 + x0[x] * 3] & 0xff) * (1 - fx[x]) + (src[r1 + x1[x] * 3] & 0xff) * fx[x];
                    dst[out++] = (top + (bottom - top) * wy) * sc + sh;
                }
            }
        }
    }

    /** For each output position along one axis: the two source pixels and the second one's weight. */
    private void taps(int start, int length, int[] lo, int[] hi, float[] weight) {
        double step = (double) length / imageSize;
        for (int i = 0; i < imageSize; i++) {
            double at = Math.max(0, (i + 0.5) * step - 0.5);
            int a = Math.min((int) at, length - 1);
            lo[i] = start + a;
            hi[i] = start + Math.min(a + 1, length - 1);
            weight[i] = (float) (at - a);
        }
    }
}
