package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.registry.Lineage;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.job.registry.QualityGate;
import io.seresnext.job.registry.RegistryVersion;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import io.seresnext.model.SeResNeXtGraph;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The quality gate on real local Spark: a candidate is scored against the current version on one evaluation set
 * and promoted only by the rule; a refused one stays registered, and `train` then exits with status 3.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QualityGateTest {

    private SparkSession spark;
    private Configuration conf;
    private FileSystem fs;
    private java.nio.file.Path dir;
    private String input;
    private String trained;
    /** Only the first two classes' validation images: a model that always answers the third scores exactly 0. */
    private String twoClasses;
    /** A model that always answers the third class, published like any other. */
    private String thirdClassAlways;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("quality-gate");
        spark = TestSpark.start();
        conf = spark.sparkContext().hadoopConfiguration();
        input = uri("shapes3");
        DemoDataset.write(input, conf, 3, 16, 6, 11);
        fs = new Path(input).getFileSystem(conf);
        trained = uri("trained");
        Map<String, Object> o = TestJobs.small(input, trained);
        o.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(o));

        twoClasses = uri("two-classes");
        for (String name : DemoDataset.CLASSES.subList(0, 2)) {
            FileUtil.copy(fs, new Path(input + "/val/" + name), fs, new Path(twoClasses + "/val/" + name), false,
                    conf);
        }
        thirdClassAlways = uri("third-class-always");
        ModelStore source = new ModelStore(trained, conf);
        ComputationGraph constant = source.readModel(new Path(trained, ModelStore.MODEL));
        org.deeplearning4j.nn.api.Layer head = constant.getLayer(SeResNeXtGraph.OUTPUT);
        head.setParam("W", Nd4j.zeros(head.getParam("W").shape()));
        head.setParam("b", Nd4j.createFromArray(new float[] {0f, 0f, 10f}).reshape(head.getParam("b").shape()));
        String jobConf = new String(fs.open(new Path(trained, ModelStore.CONFIG)).readAllBytes(),
                StandardCharsets.UTF_8);
        ModelStore out = new ModelStore(thirdClassAlways, conf);
        out.startRun(false);
        out.publish(constant, new TrainingState(source.readLabels(), jobConf, 1, 0, List.of()),
                ModelStore.preprocessing(JobConfigLoader.fromStored(jobConf, trained)));
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

    private RegistryVersion register(ModelRegistry registry, String published) throws Exception {
        Lineage lineage = new Lineage("", "", input, "", DemoDataset.CLASSES.subList(0, 3), null, null, "", "test",
                "", "", "");
        return registry.register(new Path(published), lineage, false);
    }

    private QualityGate.Decision gate(ModelRegistry registry, RegistryVersion candidate, double tolerance)
            throws Exception {
        return QualityGate.apply(spark, registry, candidate, new JobConfig.Gate(twoClasses, tolerance, 0.0),
                TestJobs.config(TestJobs.small(input, uri("unused"))));
    }

    @Test
    void aBetterCandidateIsPromotedAWorseOneIsNotAndTheToleranceIsHonoured() throws Exception {
        ModelRegistry registry = ModelRegistry.openOrCreate(uri("registry"), conf);
        RegistryVersion v1 = register(registry, thirdClassAlways);
        QualityGate.Decision first = gate(registry, v1, 0.0);
        assertTrue(first.promoted(), first.explain());
        assertNull(first.current(), "nothing was current");
        assertEquals(0.0, first.candidateTop1(), "it never answers a class the folder holds");

        RegistryVersion v2 = register(registry, trained);
        QualityGate.Decision better = gate(registry, v2, 0.0);
        assertTrue(better.candidateTop1() > 0, better.explain());
        assertTrue(better.promoted(), better.explain());
        assertEquals("v0001", better.current());
        assertEquals(12, better.images(), "both scored on the same twelve images");
        assertEquals(v2, registry.current().orElseThrow());

        RegistryVersion v3 = register(registry, thirdClassAlways);
        QualityGate.Decision worse = gate(registry, v3, 0.0);
        assertFalse(worse.promoted(), worse.explain());
        assertEquals(better.candidateTop1(), worse.currentTop1(), "the current version scored the same again");
        assertEquals(v2, registry.current().orElseThrow(), "current untouched");
        assertTrue(registry.versions().contains(v3), "the refused candidate stays registered");

        RegistryVersion v4 = register(registry, thirdClassAlways);
        QualityGate.Decision tolerated = gate(registry, v4, 1.0);
        assertTrue(tolerated.promoted(), "a whole top-1 of tolerance lets anything through: " + tolerated.explain());
    }

    @Test
    void trainExitsWithThreeWhenTheGateRefusesAndKeepsTheModelRegistered() throws Exception {
        // the same images under two labels: no model can score more than half of them
        String ambiguous = uri("ambiguous");
        for (String label : DemoDataset.CLASSES.subList(0, 2)) {
            FileUtil.copy(fs, new Path(input + "/val/" + DemoDataset.CLASSES.get(0)), fs,
                    new Path(ambiguous + "/val/" + label), false, conf);
        }
        String registry = uri("gated-registry");
        Map<String, Object> o = TestJobs.small(input, uri("gated-run"));
        o.put("train.epochs", 1);
        o.put("gate.min-top1", 0.75);
        List<String> args = new ArrayList<>(List.of("train", "--master", "local[1]", "--input", input, "--output",
                (String) o.remove("output"), "--register", registry, "--promote-if", ambiguous));
        o.remove("input");
        o.forEach((key, value) -> args.addAll(List.of("--set", key + "=" + value)));

        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = Main.run(args.toArray(new String[0]));
        } finally {
            System.setErr(original);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(3, status, stderr);
        assertTrue(stderr.contains("not promoted") && stderr.contains("floor 75.00%"), stderr);
        ModelRegistry opened = ModelRegistry.open(registry, conf);
        assertEquals(List.of("v0001"), opened.versions().stream().map(RegistryVersion::name).toList());
        assertTrue(opened.current().isEmpty(), "a gated first version is not promoted past its floor");
    }
}
