package io.seresnext.job.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.TrainJob;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.evaluate.EvaluateJob;
import io.seresnext.job.evaluate.EvaluationFile;
import io.seresnext.job.evaluate.EvaluationReport;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * report.html as a browser would get it: parsed with a real HTML parser, each chart found with its data, and the
 * data compared with what the run wrote to metrics.json and evaluation.json.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HtmlReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CLASSES = DemoDataset.CLASSES.subList(0, 3);
    /** Each curve chart and the metrics.json fields it plots. */
    private static final Map<String, List<String>> CURVES = Map.of(
            "chart-loss", List.of("trainLoss", "valLoss"),
            "chart-accuracy", List.of("top1", "top5"),
            "chart-learning-rate", List.of("learningRate"),
            "chart-throughput", List.of("imagesPerSecond"));

    private MiniHdfs hdfs;
    private SparkSession spark;
    private FileSystem fs;
    private String model;
    private String evaluation;

    @BeforeAll
    void trainAndEvaluate() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
        fs = hdfs.fileSystem();
        String data = hdfs.uri("/data/shapes3");
        DemoDataset.write(data, fs.getConf(), CLASSES.size(), 16, 6, 1);
        model = hdfs.uri("/models/trained");
        Map<String, Object> o = TestJobs.small(data, model);
        o.put("train.epochs", 3);
        TrainJob.run(spark, TestJobs.config(o));
        evaluation = hdfs.uri("/evaluations/val");
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("input", data);
        e.put("output", evaluation);
        EvaluateJob.run(spark, model, JobConfigLoader.load(null, e, false));
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

    private String text(String dir, String name) throws Exception {
        try (var in = fs.open(new Path(dir, name))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Document page(String dir) throws Exception {
        return Jsoup.parse(text(dir, dir.equals(evaluation) ? EvaluationFile.PAGE : HtmlReport.FILE));
    }

    /** The chart's container and the JSON it is drawn from. */
    private static JsonNode chartData(Document page, String id) throws Exception {
        Element chart = page.getElementById(id);
        assertNotNull(chart, "no chart " + id);
        assertTrue(chart.hasClass("chart"), id);
        Element data = page.getElementById(id + "-data");
        assertNotNull(data, "no data for " + id);
        assertEquals("application/json", data.attr("type"));
        return JSON.readTree(data.data());
    }

    @Test
    void eachTrainingCurveIsDrawnFromTheFiguresInMetricsJson() throws Exception {
        JsonNode metrics = JSON.readTree(text(model, ModelStore.METRICS));
        assertEquals(3, metrics.size());
        Document page = page(model);
        for (Map.Entry<String, List<String>> curve : CURVES.entrySet()) {
            JsonNode data = chartData(page, curve.getKey());
            List<Integer> epochs = new ArrayList<>();
            data.get("epochs").forEach(n -> epochs.add(n.asInt()));
            assertEquals(List.of(1, 2, 3), epochs, curve.getKey());
            Set<String> keys = new TreeSet<>();
            for (JsonNode series : data.get("series")) {
                String key = series.get("key").asText();
                keys.add(key);
                for (int i = 0; i < metrics.size(); i++) {
                    double expected = metrics.get(i).get(key).asDouble();
                    assertTrue(Double.isFinite(expected), key + " recorded in epoch " + (i + 1));
                    assertEquals(expected, series.get("values").get(i).asDouble(), 0.0,
                            curve.getKey() + " " + key + " epoch " + (i + 1));
                }
            }
            assertEquals(new TreeSet<>(curve.getValue()), keys, curve.getKey());
        }
        assertEquals(3, page.select("#epochs tbody tr").size(), "a table row per epoch");
    }

    @Test
    void theTrainingHeatMapIsTheLastValidationsConfusionMatrix() throws Exception {
        JsonNode last = JSON.readTree(text(model, ModelStore.METRICS)).get(2);
        Document page = page(model);
        JsonNode data = chartData(page, "chart-confusion");
        List<String> classes = new ArrayList<>();
        data.get("classes").forEach(n -> classes.add(n.asText()));
        assertEquals(CLASSES, classes);
        long total = 0;
        long diagonal = 0;
        for (int t = 0; t < CLASSES.size(); t++) {
            for (int p = 0; p < CLASSES.size(); p++) {
                long count = data.get("counts").get(t).get(p).asLong();
                total += count;
                diagonal += t == p ? count : 0;
            }
        }
        assertEquals(last.get("valImages").asLong(), total, "every validation image once");
        assertEquals(last.get("top1").asDouble(), (double) diagonal / total, 1e-12, "its diagonal is the top-1");
        assertEquals(CLASSES.size(), page.select("#classes tbody tr").size(), "a table row per class");
    }

    @Test
    void theEvaluationReportBesideEvaluationJsonShowsItsConfusionMatrixAndClasses() throws Exception {
        JsonNode written = JSON.readTree(text(evaluation, EvaluationFile.NAME));
        Document page = page(evaluation);
        assertEquals(written.get("confusionMatrix").get("counts"), chartData(page, "chart-confusion").get("counts"));
        List<String> rows = page.select("#classes tbody tr td:first-child").eachText();
        List<String> expected = new ArrayList<>();
        written.get("classes").forEach(c -> expected.add(c.get("name").asText()));
        assertEquals(expected, rows);
        // the scored model's training curves come with it
        JsonNode accuracy = chartData(page, "chart-accuracy");
        assertEquals(written.get("model").get("trainingMetrics").get(2).get("top1").asDouble(),
                accuracy.get("series").get(0).get("values").get(2).asDouble(), 0.0);
    }

    @Test
    void theEnvironmentAndTimingsAreThisRuns() throws Exception {
        Document page = page(model);
        Map<String, String> env = rows(page, "environment");
        assertEquals("local[2]", env.get("Spark master"));
        assertEquals(spark.version(), env.get("Spark"));
        assertEquals("1.0.0-M2.1", env.get("DL4J"));
        Map<String, String> timings = rows(page, "timings");
        Instant started = Instant.parse(timings.get("Started"));
        Instant finished = Instant.parse(timings.get("Finished"));
        assertTrue(!finished.isBefore(started) && finished.isBefore(Instant.now()), timings.toString());
        assertEquals(text(model, ModelStore.CONFIG), page.getElementById("configuration").wholeText());
    }

    @Test
    void theReportLoadsNothing() throws Exception {
        for (String dir : List.of(model, evaluation)) {
            Document page = page(dir);
            assertTrue(page.select("[src], link[href]").isEmpty(), "nothing fetched from " + dir);
            assertTrue(page.select("script:not([type])").stream().anyMatch(s -> s.data().contains("echarts.init")),
                    "the drawing script is inline");
            assertTrue(page.select("script:not([type])").get(0).data().length() > 500_000,
                    "and so is the charting library");
        }
    }

    @Test
    void classNamesAndConfigurationCannotBreakOutOfThePage() throws Exception {
        String hostile = "</script><img src=x onerror=alert(1)>&amp;\"'";
        String config = "a = \"</pre><script>alert(2)</script>\"";
        String html = new HtmlReport("Report of " + hostile).fact("Output", hostile)
                .confusion(List.of(hostile, "b"), new long[][] {{2, 1}, {0, 3}},
                        EvaluationReport.classFigures(List.of(hostile, "b"), new long[][] {{2, 1}, {0, 3}}))
                .configuration(config).render();
        Document page = Jsoup.parse(html);
        assertTrue(page.select("img").isEmpty(), "no element from a class name");
        assertEquals(3, page.select("script").size(), "the library, one data block, the drawing script");
        assertEquals(hostile, chartData(page, "chart-confusion").get("classes").get(0).asText());
        assertEquals(hostile, page.select("#classes tbody td").get(0).text());
        assertEquals("Report of " + hostile, page.title());
        assertEquals(config, page.getElementById("configuration").wholeText());
    }

    private static Map<String, String> rows(Document page, String table) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (Element tr : page.select("#" + table + " tr")) {
            rows.put(tr.selectFirst("th").text(), tr.selectFirst("td").text());
        }
        return rows;
    }
}
