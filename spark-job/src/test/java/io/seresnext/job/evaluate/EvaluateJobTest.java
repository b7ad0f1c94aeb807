package io.seresnext.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.TrainJob;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code evaluate} on real local Spark and HDFS, against a model that a short {@code train} run published on the
 * same drawn dataset: its figures are training's own final validation, and they add up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluateJobTest {

    private static final List<String> CLASSES = DemoDataset.CLASSES.subList(0, 3);
    private static final int VAL_PER_CLASS = 6;

    private MiniHdfs hdfs;
    private SparkSession spark;
    private FileSystem fs;
    private String data;
    private String model;
    private EvaluateJob.Result evaluated;
    private JsonNode written;

    @BeforeAll
    void trainAndEvaluate() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
        fs = hdfs.fileSystem();
        data = hdfs.uri("/data/shapes3");
        DemoDataset.write(data, fs.getConf(), CLASSES.size(), 16, VAL_PER_CLASS, 1);
        model = hdfs.uri("/models/trained");
        Map<String, Object> o = TestJobs.small(data, model);
        o.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(o));
        evaluated = EvaluateJob.run(spark, model, options(data, hdfs.uri("/evaluations/val"), false));
        written = json(new Path(evaluated.file()));
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

    /** Batches and shards of another size than training's, so that the figures cannot depend on them. */
    private static JobConfig options(String input, String output, boolean overwrite) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("input", input);
        if (output != null) {
            o.put("output", output);
        }
        o.put("overwrite", overwrite);
        o.put("data.shard-images", 7);
        o.put("train.eval-batch-size", 5);
        return JobConfigLoader.load(null, o, false);
    }

    private JsonNode json(Path path) throws Exception {
        return new ObjectMapper().readTree(fs.open(path));
    }

    private void write(Path path, byte[] bytes) throws Exception {
        try (OutputStream out = fs.create(path, true)) {
            out.write(bytes);
        }
    }

    private static long[][] matrix(JsonNode report) {
        JsonNode rows = report.get("confusionMatrix").get("counts");
        long[][] m = new long[rows.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = new long[rows.get(i).size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = rows.get(i).get(j).asLong();
            }
        }
        return m;
    }

    @Test
    void theValidationFolderScoresTrainingsFinalTop1AndLoss() throws Exception {
        JsonNode metrics = json(new Path(model, ModelStore.METRICS));
        JsonNode last = metrics.get(metrics.size() - 1);
        assertEquals(last.get("valImages").asLong(), written.get("images").asLong());
        assertEquals(CLASSES.size() * VAL_PER_CLASS, written.get("images").asLong(), "every val/ image, once");
        assertEquals(last.get("top1").asDouble(), written.get("top1").asDouble(), 1e-12);
        assertEquals(last.get("top5").asDouble(), written.get("top5").asDouble(), 1e-12);
        assertEquals(last.get("valLoss").asDouble(), written.get("loss").asDouble(), 1e-4);
        assertEquals(data + "/val", written.get("input").asText(), "its val/ folder, not the training images");
    }

    @Test
    void supportsConfusionRowsAndTheMatrixTotalAddUpToTheImageCount() {
        long images = written.get("images").asLong();
        long[][] m = matrix(written);
        assertEquals(CLASSES.size(), m.length);
        long supports = 0;
        long total = 0;
        long diagonal = 0;
        for (int c = 0; c < m.length; c++) {
            JsonNode figures = written.get("classes").get(c);
            assertEquals(CLASSES.get(c), figures.get("name").asText());
            assertEquals(VAL_PER_CLASS, figures.get("support").asLong());
            assertEquals(figures.get("support").asLong(), java.util.Arrays.stream(m[c]).sum(), "row " + c);
            supports += figures.get("support").asLong();
            total += java.util.Arrays.stream(m[c]).sum();
            diagonal += m[c][c];
        }
        assertEquals(images, supports);
        assertEquals(images, total);
        assertEquals(written.get("top1").asDouble(), (double) diagonal / images, 1e-12, "the diagonal is top-1");
    }

    @Test
    void precisionRecallAndF1AreTheMatrixs() {
        long[][] m = matrix(written);
        for (int c = 0; c < m.length; c++) {
            long predicted = 0;
            for (long[] row : m) {
                predicted += row[c];
            }
            long support = java.util.Arrays.stream(m[c]).sum();
            JsonNode f = written.get("classes").get(c);
            assertEquals(predicted, f.get("predicted").asLong());
            assertEquals(m[c][c], f.get("correct").asLong());
            if (predicted == 0) {
                assertTrue(f.get("precision").isNull(), "never predicted: no precision");
            } else {
                assertEquals((double) m[c][c] / predicted, f.get("precision").asDouble(), 1e-12);
            }
            double recall = (double) m[c][c] / support;
            assertEquals(recall, f.get("recall").asDouble(), 1e-12);
            double precision = predicted == 0 ? 0 : (double) m[c][c] / predicted;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            assertEquals(f1, f.get("f1").asDouble(), 1e-12);
        }
    }

    @Test
    void theReportNamesTheModelByItsDirectoryDigestAndPublishedFiles() throws Exception {
        JsonNode identity = written.get("model");
        assertEquals(model, identity.get("uri").asText());
        byte[] zip = fs.open(new Path(model, ModelStore.MODEL)).readAllBytes();
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(zip)),
                identity.get("modelZipSha256").asText());
        assertEquals(new String(fs.open(new Path(model, ModelStore.CONFIG)).readAllBytes(), StandardCharsets.UTF_8),
                identity.get("trainingConfig").asText());
        assertEquals(json(new Path(model, ModelStore.METRICS)), identity.get("trainingMetrics"));
    }

    @Test
    void aFolderWithSomeOfTheClassesIsMappedByNameNotByPosition() throws Exception {
        // circle and ring only: by position ring would become the model's second class, cross
        String subset = hdfs.uri("/data/subset");
        for (String c : List.of("circle", "ring")) {
            FileUtil.copy(fs, new Path(data + "/val/" + c), fs, new Path(subset + "/" + c), false, fs.getConf());
        }
        EvaluateJob.Result r = EvaluateJob.run(spark, model, options(subset, hdfs.uri("/evaluations/subset"),
                false));

        assertEquals(subset, r.report().input(), "no val/ inside: the folder itself");
        assertEquals(2L * VAL_PER_CLASS, r.report().images());
        assertEquals(List.of(6L, 0L, 6L), r.report().classes().stream().map(EvaluationReport.ClassFigures::support)
                .toList());
        long[][] full = matrix(written);
        long[][] part = r.report().confusionMatrix().counts();
        assertArrayEquals(full[0], part[0], "circle's images, predicted as before");
        assertArrayEquals(full[2], part[2], "ring's images, predicted as before");
    }

    @Test
    void withoutOutputTheEvaluationGoesBesideTheModelGivenByItsZip() throws Exception {
        String copy = hdfs.uri("/models/copy");
        FileUtil.copy(fs, new Path(model), fs, new Path(copy), false, fs.getConf());
        EvaluateJob.Result r = EvaluateJob.run(spark, copy + "/" + ModelStore.MODEL, options(data, null, false));
        assertEquals(copy + "/" + EvaluationFile.NAME, r.file());
        assertEquals(written.get("top1"), json(new Path(r.file())).get("top1"));
    }

    @Test
    void aClassFolderTheModelDoesNotKnowIsRefusedByName() throws Exception {
        String more = hdfs.uri("/data/shapes4");
        DemoDataset.write(more, fs.getConf(), 4, 1, 2, 5); // adds "square"
        String output = hdfs.uri("/evaluations/unknown");
        DataException e = assertThrows(DataException.class,
                () -> EvaluateJob.run(spark, model, options(more, output, false)));
        assertTrue(e.getMessage().contains("[square]") && e.getMessage().contains(more + "/val"), e.getMessage());
        assertFalse(fs.exists(new Path(output)), "nothing written");
    }

    @Test
    void aModelZipThatIsNotAModelIsRefusedByName() throws Exception {
        String broken = hdfs.uri("/models/broken");
        FileUtil.copy(fs, new Path(model), fs, new Path(broken), false, fs.getConf());
        write(new Path(broken, ModelStore.MODEL), "not a zip".getBytes(StandardCharsets.UTF_8));
        DataException e = assertThrows(DataException.class,
                () -> EvaluateJob.run(spark, broken, options(data, hdfs.uri("/evaluations/broken"), false)));
        assertTrue(e.getMessage().startsWith("--model") && e.getMessage().contains(broken + "/model.zip"),
                e.getMessage());
    }

    @Test
    void aMissingModelIsRefusedByName() {
        String nowhere = hdfs.uri("/models/nowhere");
        DataException e = assertThrows(DataException.class,
                () -> EvaluateJob.run(spark, nowhere, options(data, hdfs.uri("/evaluations/nowhere"), false)));
        assertTrue(e.getMessage().startsWith("--model") && e.getMessage().contains(nowhere), e.getMessage());
    }

    @Test
    void anExistingEvaluationIsKeptUnlessOverwriteIsGiven() throws Exception {
        String output = hdfs.uri("/evaluations/earlier");
        Path file = new Path(output, EvaluationFile.NAME);
        byte[] earlier = "an earlier evaluation".getBytes(StandardCharsets.UTF_8);
        write(file, earlier);
        OutputException e = assertThrows(OutputException.class,
                () -> EvaluateJob.run(spark, model, options(data, output, false)));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("--overwrite"),
                e.getMessage());
        assertArrayEquals(earlier, fs.open(file).readAllBytes(), "untouched");

        EvaluateJob.run(spark, model, options(data, output, true));
        assertEquals(written.get("images"), json(file).get("images"), "replaced by the new evaluation");
    }
}
