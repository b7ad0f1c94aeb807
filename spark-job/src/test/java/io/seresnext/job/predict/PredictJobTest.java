package io.seresnext.job.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.TrainJob;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.data.ImageDecoder;
import io.seresnext.job.evaluate.PublishedModel;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code predict} and the {@link SeResNeXtModel} Transformer on real local Spark and HDFS, against a model that a
 * short {@code train} run published: the Parquet it writes, read back with Spark SQL, holds the model's own
 * outputs, computed here by DL4J on images prepared independently of the job's code path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PredictJobTest {

    private static final List<String> CLASSES = DemoDataset.CLASSES.subList(0, 3);
    private static final int TOP_K = 2;
    private static final String BROKEN = "extra/deeper/broken.png";

    private MiniHdfs hdfs;
    private SparkSession spark;
    private FileSystem fs;
    private String model;
    private PublishedModel published;
    /** unlabelled: top-level train/ and val/, images two levels below, one unreadable file three levels below */
    private String tree;
    private PredictJob.Result treeResult;
    private Map<String, Row> treeRows;

    @BeforeAll
    void trainAndPredict() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
        fs = hdfs.fileSystem();
        String data = hdfs.uri("/data/shapes3");
        DemoDataset.write(data, fs.getConf(), CLASSES.size(), 16, 4, 1);
        model = hdfs.uri("/models/trained");
        Map<String, Object> o = TestJobs.small(data, model);
        o.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(o));
        published = PublishedModel.read(model, fs.getConf());

        tree = hdfs.uri("/incoming/tree");
        DemoDataset.write(tree, fs.getConf(), CLASSES.size(), 3, 3, 7);
        try (OutputStream out = fs.create(new Path(tree, BROKEN))) {
            out.write("not an image".getBytes(StandardCharsets.UTF_8));
        }
        treeResult = PredictJob.run(spark, model, TOP_K, options(tree, hdfs.uri("/scores/tree"), false, 0.2));
        treeRows = byPath(spark.read().parquet(treeResult.output()));
    }

    @AfterAll
    void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private static JobConfig options(String input, String output, boolean overwrite, double maxBad) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("input", input);
        o.put("output", output);
        o.put("overwrite", overwrite);
        o.put("data.max-bad-fraction", maxBad);
        o.put("train.eval-batch-size", 4); // several batches per partition, and a last one that is not full
        return JobConfigLoader.load(null, o, false);
    }

    private static Map<String, Row> byPath(Dataset<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows.collectAsList()) {
            assertNull(m.put(r.getAs("path"), r), "one row per file");
        }
        return m;
    }

    private List<String> files(String root) throws Exception {
        List<String> paths = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(new Path(root), true);
        while (it.hasNext()) {
            paths.add(it.next().getPath().toString());
        }
        return paths;
    }

    /** The model's softmax for one file, prepared as evaluation prepares it, written out here on its own. */
    private float[] reference(String path) throws Exception {
        JobConfig trained = published.config();
        int stored = trained.data().storedSize();
        int size = trained.model().imageSize();
        float[] mean = trained.data().meanArray();
        float[] std = trained.data().stdArray();
        byte[] file;
        try (InputStream in = fs.open(new Path(path))) {
            file = in.readAllBytes();
        }
        byte[] square = ImageDecoder.decodeSquare(file, stored);
        int o = (stored - size) / 2;
        float[] x = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                for (int i = 0; i < size; i++) {
                    int v = square[((o + y) * stored + o + i) * 3 + c] & 0xff;
                    x[(c * size + y) * size + i] = (v / 255f - mean[c]) / std[c];
                }
            }
        }
        return published.network().outputSingle(Nd4j.create(x, new long[] {1, 3, size, size}, 'c'))
                .toFloatVector();
    }

    @Test
    void probabilitiesReadBackWithSparkSqlEqualTheModelsOwnOutputsInTopKOrder() throws Exception {
        int checked = 0;
        for (Row r : treeRows.values()) {
            if (r.getAs("error") != null) {
                continue;
            }
            float[] expected = reference(r.getAs("path"));
            List<String> names = r.getList(r.fieldIndex("top_classes"));
            List<Float> probabilities = r.getList(r.fieldIndex("top_probabilities"));
            assertEquals(TOP_K, names.size());
            assertEquals(TOP_K, probabilities.size());
            float[] sorted = expected.clone();
            Arrays.sort(sorted);
            for (int k = 0; k < TOP_K; k++) {
                float p = expected[CLASSES.indexOf(names.get(k))];
                assertEquals(p, probabilities.get(k), 1e-5f, r.getAs("path") + " " + names.get(k));
                assertEquals(sorted[sorted.length - 1 - k], p, 1e-5f, "top-" + (k + 1) + " is the k-th highest");
            }
            assertEquals(names.get(0), r.getAs("prediction"));
            assertEquals(probabilities.get(0), (Float) r.getAs("probability"), 0f);
            assertEquals(published.sha256(), r.getAs("model_sha256"));
            assertEquals(published.directory(), r.getAs("model"));
            checked++;
        }
        assertEquals(2 * CLASSES.size() * 3, checked, "every image of the tree was compared");
    }

    @Test
    void everyFileOfTheTreeIsScoredOnceAndTheUnreadableOneCarriesItsError() throws Exception {
        List<String> expected = files(tree);
        assertEquals(expected.size(), treeRows.size());
        assertTrue(treeRows.keySet().containsAll(expected));
        Row broken = treeRows.get(new Path(tree, BROKEN).toString());
        assertTrue(broken.<String>getAs("error").contains("not a readable JPEG or PNG"), broken.toString());
        assertNull(broken.getAs("prediction"));
        assertNull(broken.getAs("top_classes"));
        assertEquals(published.sha256(), broken.getAs("model_sha256"), "an error row still names the model");
        assertEquals(1, treeResult.errors());
        assertEquals(expected.size(), treeResult.images());
        assertFalse(treeResult.labelled(), "train/ and val/ are not classes of the model");
        assertFalse(Arrays.asList(spark.read().parquet(treeResult.output()).columns()).contains("label"));
    }

    @Test
    void theOutputIsCommittedWithSuccessAndNoStagingFolderIsLeft() throws Exception {
        assertTrue(fs.exists(new Path(treeResult.output(), "_SUCCESS")));
        for (FileStatus s : fs.listStatus(new Path(treeResult.output()).getParent())) {
            assertFalse(s.getPath().getName().startsWith(".predict-"), "staging left: " + s.getPath());
        }
    }

    @Test
    void moreUnreadableFilesThanMaxBadFractionFailClearlyAndWriteNothing() throws Exception {
        String output = hdfs.uri("/scores/strict");
        DataException e = assertThrows(DataException.class,
                () -> PredictJob.run(spark, model, TOP_K, options(tree, output, false, 0.0)));
        assertTrue(e.getMessage().contains("1 of " + treeRows.size() + " files"), e.getMessage());
        assertTrue(e.getMessage().contains("data.max-bad-fraction") && e.getMessage().contains(BROKEN),
                e.getMessage());
        assertFalse(fs.exists(new Path(output)));
        for (FileStatus s : fs.listStatus(new Path(output).getParent())) {
            assertFalse(s.getPath().getName().startsWith(".predict-"), "staging left: " + s.getPath());
        }
    }

    @Test
    void anExistingOutputIsRefusedAndOverwriteReplacesIt() throws Exception {
        String output = hdfs.uri("/scores/replaced");
        String circles = tree + "/val/circle";
        PredictJob.run(spark, model, TOP_K, options(circles, output, false, 0.0));
        OutputException refused = assertThrows(OutputException.class,
                () -> PredictJob.run(spark, model, TOP_K, options(tree + "/val", output, false, 0.0)));
        assertTrue(refused.getMessage().contains("--overwrite"), refused.getMessage());
        assertEquals(3, spark.read().parquet(output).count(), "the refused run left the output alone");

        PredictJob.run(spark, model, TOP_K, options(tree + "/val", output, true, 0.0));
        assertEquals(3 * CLASSES.size(), spark.read().parquet(output).count(), "the new run's rows only");
    }

    @Test
    void aLabelledFolderGivesEachImageItsClassFolderAsLabel() throws Exception {
        PredictJob.Result r = PredictJob.run(spark, model, TOP_K,
                options(tree + "/val", hdfs.uri("/scores/labelled"), false, 0.0));
        assertTrue(r.labelled());
        Dataset<Row> rows = spark.read().parquet(r.output());
        assertEquals(DataTypes.StringType, rows.schema().apply("label").dataType());
        List<Row> all = rows.select("path", "label").collectAsList();
        assertEquals(3 * CLASSES.size(), all.size());
        for (Row row : all) {
            assertEquals(new Path(row.getString(0)).getParent().getName(), row.getString(1));
        }
    }

    @Test
    void theTransformerOnImageSourceRowsPredictsAsOnPaths() throws Exception {
        SeResNeXtModel transformer = SeResNeXtModel.load(spark, model).setTopK(3);
        Dataset<Row> images = spark.read().format("image").option("recursiveFileLookup", "true")
                .load(tree + "/val");
        Dataset<Row> scored = transformer.transform(images);
        assertEquals(transformer.transformSchema(images.schema()), scored.schema());
        Map<String, Row> fromPaths = new HashMap<>();
        Dataset<Row> paths = images.selectExpr("image.origin AS path");
        for (Row r : transformer.transform(paths).collectAsList()) {
            fromPaths.put(r.getAs("path"), r);
        }
        List<Row> rows = scored.select("image.origin", "prediction", "top_probabilities", "error").collectAsList();
        assertEquals(3 * CLASSES.size(), rows.size());
        for (Row r : rows) {
            Row byPath = fromPaths.get(r.getString(0));
            assertNotNull(byPath, r.getString(0));
            assertNull(r.get(3), r.getString(0));
            assertEquals(byPath.<String>getAs("prediction"), r.getString(1), r.getString(0));
            List<Float> expected = byPath.getList(byPath.fieldIndex("top_probabilities"));
            List<Float> actual = r.getList(2);
            for (int k = 0; k < 3; k++) {
                assertEquals(expected.get(k), actual.get(k), 1e-5f, r.getString(0));
            }
        }
        assertEquals(3 * CLASSES.size(), fromPaths.size());
    }
}
