package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.output.RunLock;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each bad input ends with an error that names the path or option, before training, and leaves an existing model
 * exactly as it was (every run here targets an output that already holds one, with --overwrite).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {

    private MiniHdfs hdfs;
    private SparkSession spark;
    private FileSystem fs;
    private String output;
    private byte[] existingModel;

    @BeforeAll
    void start() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
        fs = hdfs.fileSystem();
        output = hdfs.uri("/models/existing");
        fs.mkdirs(new Path(output));
        existingModel = "an earlier model".getBytes(StandardCharsets.UTF_8);
        write(new Path(output, ModelStore.MODEL), existingModel);
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

    private void write(Path path, byte[] bytes) throws Exception {
        try (OutputStream out = fs.create(path, true)) {
            out.write(bytes);
        }
    }

    private JobConfig overwriting(String input) {
        Map<String, Object> o = TestJobs.small(input, output);
        o.put("overwrite", true);
        return TestJobs.config(o);
    }

    private <T extends Exception> String failure(Class<T> type, JobConfig config) throws Exception {
        T e = assertThrows(type, () -> TrainJob.run(spark, config));
        assertArrayEquals(existingModel, fs.open(new Path(output, ModelStore.MODEL)).readAllBytes(),
                "the existing model is untouched");
        assertTrue(fs.exists(new Path(output, ModelStore.MODEL)));
        assertFalse(fs.exists(new Path(output, ModelStore.CHECKPOINTS)), "no training started");
        return e.getMessage();
    }

    @Test
    void missingInput() throws Exception {
        String input = hdfs.uri("/data/nowhere");
        String message = failure(DataException.class, overwriting(input));
        assertTrue(message.contains(input) && message.contains("does not exist"), message);
    }

    @Test
    void emptyInput() throws Exception {
        String input = hdfs.uri("/data/empty");
        fs.mkdirs(new Path(input));
        String message = failure(DataException.class, overwriting(input));
        assertTrue(message.contains(input) && message.contains("no class folders"), message);
    }

    @Test
    void aClassFolderWithoutImages() throws Exception {
        String input = hdfs.uri("/data/hollow");
        DemoDataset.write(input, fs.getConf(), 3, 4, 2, 3);
        fs.delete(new Path(input + "/train/cross"), true);
        fs.delete(new Path(input + "/val/cross"), true);
        fs.mkdirs(new Path(input + "/train/cross"));
        String message = failure(DataException.class, overwriting(input));
        assertTrue(message.contains(input + "/train/cross") && message.contains("no image files"), message);
    }

    @Test
    void oneClassOnly() throws Exception {
        String input = hdfs.uri("/data/single");
        fs.mkdirs(new Path(input + "/cats"));
        write(new Path(input + "/cats/a.png"), new byte[] {1});
        String message = failure(DataException.class, overwriting(input));
        assertTrue(message.contains(input) && message.contains("only one class folder (cats)"), message);
    }

    @Test
    void nonImageFilesPastTheAllowedShareFailTheJob() throws Exception {
        String input = hdfs.uri("/data/junk");
        DemoDataset.write(input, fs.getConf(), 2, 6, 3, 4);
        write(new Path(input + "/train/circle/notes.txt"), "not an image".getBytes(StandardCharsets.UTF_8));
        write(new Path(input + "/train/cross/broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 0, 1, 2});
        JobConfig config = overwriting(input); // 2 bad of 20 files = 10%, default limit 1%
        String message = failure(DataException.class, config);
        assertTrue(message.contains("2 of 20 files") && message.contains("data.max-bad-fraction")
                && message.contains("notes.txt"), message);
    }

    @Test
    void nonImageFilesWithinTheAllowedShareAreSkippedAndCounted() throws Exception {
        String input = hdfs.uri("/data/some-junk");
        DemoDataset.write(input, fs.getConf(), 2, 6, 3, 5);
        write(new Path(input + "/train/circle/notes.txt"), "not an image".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> o = TestJobs.small(input, hdfs.uri("/models/unused"));
        o.put("data.max-bad-fraction", 0.2);
        ShardManifest manifest = TrainJob.prepare(spark, TestJobs.config(o));
        assertEquals(1, manifest.skippedFiles());
        assertEquals(12, manifest.count("train"));
        assertTrue(manifest.skippedExamples().get(0).contains("notes.txt"));
    }

    @Test
    void unreachableFilesystem() throws Exception {
        String input = "hdfs://127.0.0.1:1/data/imagenet";
        String message = failure(DataException.class, overwriting(input));
        assertTrue(message.contains(input), message);
    }

    @Test
    void anExistingOutputIsNotOverwrittenUnlessAsked() throws Exception {
        String input = hdfs.uri("/data/fine");
        DemoDataset.write(input, fs.getConf(), 2, 4, 2, 6);
        String message = failure(OutputException.class, TestJobs.config(TestJobs.small(input, output)));
        assertTrue(message.contains(output) && message.contains("--overwrite"), message);
    }

    @Test
    void resumingWithoutCheckpointsNamesTheOption() throws Exception {
        String input = hdfs.uri("/data/fine2");
        DemoDataset.write(input, fs.getConf(), 2, 4, 2, 7);
        Map<String, Object> o = TestJobs.small(input, output);
        o.put("resume", true);
        String message = failure(OutputException.class, TestJobs.config(o));
        assertTrue(message.contains("--resume") && message.contains(output), message);
    }

    @Test
    void anOutputInUseByAnotherRunIsRefusedAtOnce() throws Exception {
        String input = hdfs.uri("/data/fine3");
        DemoDataset.write(input, fs.getConf(), 2, 4, 2, 8);
        try (RunLock other = new ModelStore(output, fs.getConf()).lock()) {
            String message = failure(OutputException.class, overwriting(input));
            assertTrue(message.contains(output) && message.contains("in use by another run")
                    && message.contains(other.owner()), message);
        }
        assertFalse(fs.exists(new Path(output, RunLock.NAME)), "the other run's lock is gone when it ends");
    }
}
