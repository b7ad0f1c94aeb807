package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.evaluate.EvaluateJob;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.registry.Lineage;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.job.registry.RegistryException;
import io.seresnext.job.registry.RegistryVersion;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code train --register} and {@code --init-model <registry>} on real local Spark, on a local disk. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryTrainTest {

    private SparkSession spark;
    private Configuration conf;
    private FileSystem fs;
    private java.nio.file.Path dir;
    private String input;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("registry-train");
        spark = TestSpark.start();
        conf = spark.sparkContext().hadoopConfiguration();
        input = dir.resolve("shapes3").toUri().toString();
        DemoDataset.write(input, conf, 3, 16, 6, 1);
        fs = new Path(input).getFileSystem(conf);
    }

    @AfterAll
    void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private String uri(String name) {
        return dir.resolve(name).toUri().toString();
    }

    private Map<String, Object> oneEpoch(String output, String register) {
        Map<String, Object> o = TestJobs.small(input, output);
        o.put("train.epochs", 1);
        o.put("register", register);
        return o;
    }

    private byte[] bytes(Path file) throws Exception {
        return fs.open(file).readAllBytes();
    }

    @Test
    void trainRegistersItsModelWithLineageAndAWarmStartFromTheRegistryRecordsItsParent() throws Exception {
        String registry = uri("registry");
        String first = uri("first");
        TrainJob.Result result = TrainJob.run(spark, TestJobs.config(oneEpoch(first, registry)));

        RegistryVersion v1 = result.registered();
        assertEquals("v0001", v1.name());
        for (String file : List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.CONFIG, ModelStore.METRICS)) {
            assertArrayEquals(bytes(new Path(first, file)), bytes(new Path(v1.path(), file)), file);
        }
        ModelRegistry opened = ModelRegistry.open(registry, conf);
        Lineage lineage = opened.lineage(v1);
        assertEquals("v0001", lineage.version());
        assertEquals(new Path(input).toUri().getPath(), new Path(lineage.input()).toUri().getPath());
        assertTrue(fs.exists(new Path(lineage.input() + "/_shards/" + lineage.shardCacheFingerprint())),
                "the fingerprint names the shard cache the run read: " + lineage.shardCacheFingerprint());
        assertEquals(DemoDataset.CLASSES.subList(0, 3), lineage.classes());
        List<EpochMetrics> metrics = result.state().metrics();
        assertEquals(metrics.get(metrics.size() - 1), lineage.metrics());
        assertNull(lineage.parent());
        assertEquals(new String(bytes(new Path(first, ModelStore.CONFIG)), StandardCharsets.UTF_8), lineage.config());
        assertFalse(lineage.codeVersion().isBlank());
        Instant started = Instant.parse(lineage.started());
        Instant finished = Instant.parse(lineage.finished());
        assertTrue(!started.isAfter(finished) && !finished.isAfter(Instant.parse(lineage.registered())), lineage
                .toString());
        assertEquals(v1, opened.current().orElseThrow(), "a new registry's first version is current");

        Map<String, Object> warm = oneEpoch(uri("second"), registry);
        warm.put("init-model", registry);
        RegistryVersion v2 = TrainJob.run(spark, TestJobs.config(warm)).registered();

        assertEquals("v0002", v2.name());
        Lineage child = opened.lineage(v2);
        assertEquals(new Lineage.Parent(opened.root().toString(), "v0001"), child.parent());
        assertEquals(registry, child.initModel());
        assertEquals(v1, opened.current().orElseThrow(), "registering does not promote");

        Map<String, Object> evaluation = new java.util.LinkedHashMap<>();
        evaluation.put("input", input);
        evaluation.put("output", uri("evaluation"));
        String scored = EvaluateJob.run(spark, registry, JobConfigLoader.load(null, evaluation, false)).report()
                .model().uri();
        assertEquals(new Path(v1.path().toString()).toUri().getPath(), new Path(scored).toUri().getPath(),
                "evaluate --model <registry> scores the current version");
        evaluation.remove("output");
        InvalidConfigException noOutput = assertThrows(InvalidConfigException.class,
                () -> EvaluateJob.run(spark, registry, JobConfigLoader.load(null, evaluation, false)));
        assertTrue(noOutput.getMessage().startsWith("--output is required"), noOutput.getMessage());
    }

    @Test
    void aWarmStartFromARegistryReadsItsCurrentVersionNotTheLatest() throws Exception {
        // stand-in versions whose model.zip is not a model: the error names the file the warm start read
        String registry = uri("stand-ins");
        ModelRegistry r = ModelRegistry.openOrCreate(registry, conf);
        for (int i = 1; i <= 2; i++) {
            java.nio.file.Path out = Files.createDirectories(dir.resolve("stand-in-" + i));
            for (String f : ModelRegistry.PUBLISHED) {
                Files.writeString(out.resolve(f), "not a model");
            }
            r.register(new Path(out.toUri()), new Lineage("", "", input, "", List.of(), null, null, "", "", "", "",
                    ""));
        }
        String output = uri("from-stand-in");
        Map<String, Object> o = oneEpoch(output, "");
        o.put("init-model", registry);
        OutputException e = assertThrows(OutputException.class, () -> TrainJob.run(spark, TestJobs.config(o)));
        assertTrue(e.getMessage().contains("/stand-ins/v0001/model.zip"), e.getMessage());
        assertFalse(fs.exists(new Path(output, ModelStore.CHECKPOINTS)), "no training started");
    }

    @Test
    void aRegisterTargetThatIsNotARegistryIsRefusedBeforeTraining() {
        String output = uri("never-trained");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> TrainJob.run(spark, TestJobs.config(oneEpoch(output, input))));
        assertTrue(e.getMessage().contains("not a model registry") && e.getMessage().contains(
                new Path(input).toUri().getPath()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("never-trained")), "nothing was written");
    }

    @Test
    void aRegistrationThatFailsAfterTrainingLeavesTheModelPublishedAndSaysWhere() throws Exception {
        String registry = uri("broken");
        ModelRegistry.openOrCreate(registry, conf);
        Files.writeString(dir.resolve("broken/_staging"), "a file where the registry copies versions");
        String output = uri("kept");

        RegistryException e = assertThrows(RegistryException.class,
                () -> TrainJob.run(spark, TestJobs.config(oneEpoch(output, registry))));

        assertTrue(e.getMessage().contains("the model is published at") && e.getMessage().contains("/kept")
                && e.getMessage().contains(registry), e.getMessage());
        assertTrue(fs.exists(new Path(output, ModelStore.MODEL)) && fs.exists(new Path(output, ModelStore.SUCCESS)));
        assertEquals(List.of(), ModelRegistry.open(registry, conf).versions(), "no partial version");
    }
}
