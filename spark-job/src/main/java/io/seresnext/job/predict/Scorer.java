package io.seresnext.job.predict;

import io.seresnext.job.data.HadoopFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The executor side of prediction: streams a partition's rows through the network a minibatch at a time and
 * appends the prediction columns ({@link PredictionColumns}) to each. An image that cannot be read or decoded
 * gets its message in {@code error} and nulls elsewhere, instead of failing the task.
 */
final class Scorer implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One network per task thread, kept across tasks: executors reuse their task threads. */
    private static final ThreadLocal<Loaded> NETWORK = new ThreadLocal<>();

    private record Loaded(String sha256, ComputationGraph network) {
    }

    private final Broadcast<byte[]> model;
    private final String directory;
    private final String sha256;
    private final List<String> classes;
    private final ImageInput images;
    private final SerializableHadoopConfig hadoopConf;
    private final int topK;
    private final int batchSize;
    private final ScoringCounts counts;

    /** @param counts where to count rows and errors, or null */
    Scorer(Broadcast<byte[]> model, String directory, String sha256, List<String> classes, ImageInput images,
           SerializableHadoopConfig hadoopConf, int topK, int batchSize, ScoringCounts counts) {
        this.model = model;
        this.directory = directory;
        this.sha256 = sha256;
        this.classes = List.copyOf(classes);
        this.images = images;
        this.hadoopConf = hadoopConf;
        this.topK = Math.min(topK, classes.size());
        this.batchSize = batchSize;
        this.counts = counts;
    }

    /** @param imageRows whether {@code field} is an image-source struct (else a path string) */
    Iterator<Row> score(Iterator<Row> rows, int field, boolean imageRows) {
        return new Iterator<>() {
            private final Deque<Row> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && rows.hasNext()) {
                    scoreBatch(rows, field, imageRows, ready);
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }
        };
    }

    private void scoreBatch(Iterator<Row> rows, int field, boolean imageRows, Deque<Row> out) {
        int per = images.imageFloats();
        float[] features = new float[batchSize * per];
        List<Row> batch = new ArrayList<>(batchSize);
        String[] errors = new String[batchSize];
        int[] slot = new int[batchSize];
        int decoded = 0;
        while (batch.size() < batchSize && rows.hasNext()) {
            Row row = rows.next();
            int i = batch.size();
            batch.add(row);
            try {
                if (row.isNullAt(field)) {
                    throw new IOException(imageRows ? "no image" : "no path");
                }
                if (imageRows) {
                    images.fromImageRow(row.getStruct(field), features, decoded * per);
                } else {
                    images.fromFile(read(row.getString(field)), features, decoded * per);
                }
                slot[i] = decoded++;
            } catch (IOException | RuntimeException e) {
                errors[i] = e.getMessage() == null ? e.toString() : e.getMessage();
                slot[i] = -1;
            }
        }
        float[][] probabilities = new float[0][];
        if (decoded > 0) {
            int side = images.imageSize();
            float[] used = decoded == batchSize ? features : Arrays.copyOf(features, decoded * per);
            INDArray x = Nd4j.create(used, new long[] {decoded, 3, side, side}, 'c');
            probabilities = network().outputSingle(false, x).toFloatMatrix();
        }
        for (int i = 0; i < batch.size(); i++) {
            out.add(append(batch.get(i), slot[i] < 0 ? null : probabilities[slot[i]], errors[i]));
        }
        if (counts != null) {
            counts.add(batch.size(), batch.size() - decoded);
        }
    }

    private Row append(Row row, float[] probabilities, String error) {
        Object[] values = new Object[row.length() + PredictionColumns.COUNT];
        for (int i = 0; i < row.length(); i++) {
            values[i] = row.get(i);
        }
        int at = row.length();
        if (probabilities != null) {
            Integer[] order = new Integer[probabilities.length];
            for (int c = 0; c < order.length; c++) {
                order[c] = c;
            }
            // highest first; equal probabilities keep class order, so the result does not depend on the sort
            Arrays.sort(order, (a, b) -> Float.compare(probabilities[b], probabilities[a]));
            // arrays, not java.util.List: Spark's Row encoder takes arrays or Scala Seqs for an array column
            String[] names = new String[topK];
            float[] top = new float[topK];
            for (int k = 0; k < topK; k++) {
                names[k] = classes.get(order[k]);
                top[k] = probabilities[order[k]];
            }
            values[at] = names[0];
            values[at + 1] = top[0];
            values[at + 2] = names;
            values[at + 3] = top;
        }
        values[at + 4] = directory;
        values[at + 5] = sha256;
        values[at + 6] = error;
        return RowFactory.create(values);
    }

    private byte[] read(String uri) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(hadoopConf.getConfiguration());
        return HadoopFiles.readImage(fs, path, fs.getFileStatus(path).getLen());
    }

    private ComputationGraph network() {
        Loaded loaded = NETWORK.get();
        if (loaded == null || !loaded.sha256().equals(sha256)) {
            try (InputStream in = new ByteArrayInputStream(model.value())) {
                loaded = new Loaded(sha256, ModelSerializer.restoreComputationGraph(in, false));
            } catch (IOException e) {
                throw new IllegalStateException("cannot restore the broadcast model " + sha256, e);
            }
            NETWORK.set(loaded);
        }
        return loaded.network();
    }
}
