package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.job.registry.RegistryVersion;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.nio.file.Files;
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

/** {@code train --rerun-safe} as a scheduler repeats it: trained once, registered once, resumed when interrupted. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RerunSafeTest {

    private SparkSession spark;
    private Configuration conf;
    private FileSystem fs;
    private java.nio.file.Path dir;
    private String input;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("rerun-safe");
        spark = TestSpark.start();
        conf = spark.sparkContext().hadoopConfiguration();
        input = uri("shapes3");
        DemoDataset.write(input, conf, 3, 16, 6, 21);
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

    /** What a nightly pipeline runs: warm start from the registry it feeds, register, safe to repeat. */
    private Map<String, Object> scheduled(String output, String registry) {
        Map<String, Object> o = TestJobs.small(input, output);
        o.put("train.epochs", 1);
        o.put("rerun-safe", true);
        o.put("register", registry);
        o.put("init-model", registry);
        return o;
    }

    private byte[] bytes(String output, String file) throws Exception {
        return fs.open(new Path(output, file)).readAllBytes();
    }

    private List<String> versions(String registry) throws Exception {
        return ModelRegistry.open(registry, conf).versions().stream().map(RegistryVersion::name).toList();
    }

    @Test
    void aRepeatedScheduledRunTrainsOnceRegistersOnceAndTheNextOneWarmStartsFromIt() throws Exception {
        String registry = uri("registry");
        String output = uri("night-1");
        TrainJob.Result first = TrainJob.run(spark, TestJobs.config(scheduled(output, registry)));
        assertEquals("v0001", first.registered().name(), "the registry's first run starts from a fresh network");
        assertNull(ModelRegistry.open(registry, conf).lineage(first.registered()).parent());
        byte[] model = bytes(output, ModelStore.MODEL);
        byte[] marker = bytes(output, ModelStore.SUCCESS);

        TrainJob.Result repeated = TrainJob.run(spark, TestJobs.config(scheduled(output, registry)));
        assertEquals(first.registered(), repeated.registered());
        assertEquals(List.of("v0001"), versions(registry), "not registered twice");
        assertArrayEquals(model, bytes(output, ModelStore.MODEL), "not trained again");
        assertArrayEquals(marker, bytes(output, ModelStore.SUCCESS));

        TrainJob.Result next = TrainJob.run(spark, TestJobs.config(scheduled(uri("night-2"), registry)));
        assertEquals("v0002", next.registered().name());
        assertEquals("v0001", ModelRegistry.open(registry, conf).lineage(next.registered()).parent().version());
    }

    @Test
    void aRunThatStoppedBetweenPublishingAndRegisteringIsRegisteredOnceByItsRerun() throws Exception {
        String output = uri("published-only");
        Map<String, Object> unregistered = TestJobs.small(input, output);
        unregistered.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(unregistered));
        byte[] model = bytes(output, ModelStore.MODEL);

        String registry = uri("registry-late");
        Map<String, Object> rerun = scheduled(output, registry);
        assertEquals("v0001", TrainJob.run(spark, TestJobs.config(rerun)).registered().name());
        assertEquals("v0001", TrainJob.run(spark, TestJobs.config(rerun)).registered().name());
        assertEquals(List.of("v0001"), versions(registry));
        assertArrayEquals(model, bytes(output, ModelStore.MODEL), "registered as published, not retrained");
        assertArrayEquals(model, bytes(new Path(registry, "v0001").toString(), ModelStore.MODEL));
    }

    @Test
    void anInterruptedRunIsResumedFromItsCheckpointNotRestarted() throws Exception {
        String output = uri("interrupted");
        Map<String, Object> o = TestJobs.small(input, output);
        TrainJob.Result whole = TrainJob.run(spark, TestJobs.config(o)); // two epochs
        // as if the driver died during epoch 2: its checkpoint, the model and the marker never written
        fs.delete(new Path(output, ModelStore.SUCCESS), false);
        fs.delete(new Path(output, ModelStore.MODEL), false);
        fs.delete(new Path(output, ModelStore.CHECKPOINTS + "/epoch-0002"), true);

        o.put("rerun-safe", true);
        TrainJob.Result resumed = TrainJob.run(spark, TestJobs.config(o));
        List<EpochMetrics> metrics = resumed.state().metrics();
        assertEquals(2, metrics.size());
        assertEquals(whole.state().metrics().get(0), metrics.get(0), "epoch 1 kept from the checkpoint, not rerun");
        assertEquals(ModelStore.RunState.FINISHED, new ModelStore(output, conf).runState());
    }
}
