package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.Checksums;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * HDFS itself failing under a running {@code train} (through Main, local Spark, input and output on a
 * MiniDFSCluster): a DataNode stopped, the NameNode restarted, each while epoch 2 trains.
 */
class HdfsFaultsTest {

    /** Main's command line for the test job's configuration: URIs as options (HOCON reads "//" as a comment). */
    private static String[] commandLine(Map<String, Object> options, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--input", (String) options.get("input"), "--output",
                (String) options.get("output")));
        args.addAll(List.of(extra));
        options.forEach((key, value) -> {
            if (!List.of("input", "output").contains(key)) {
                args.addAll(List.of("--set", key + "=" + value));
            }
        });
        return args.toArray(new String[0]);
    }

    /** Main's exit status and what it printed to stderr. Main takes the running Spark session and stops it. */
    private record Run(int status, String stderr) {
    }

    private static Run main(String[] args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        // the log still shows it as it comes: a hang is diagnosed from it
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                err.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                err.write(b, off, len);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
        try {
            status = Main.run(args);
        } finally {
            System.setErr(original);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        return new Run(status, stderr);
    }

    /** Calls {@code fault} once, on the Spark listener thread, when epoch 2's training job starts. */
    private static SparkListener atEpochTwo(SparkSession spark, Runnable fault) {
        AtomicBoolean done = new AtomicBoolean();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                if ("epoch-2-train".equals(start.properties().getProperty("spark.jobGroup.id"))
                        && done.compareAndSet(false, true)) {
                    fault.run();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        return listener;
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = Checksums.sha256();
        try (in) {
            digest.update(in.readAllBytes());
        }
        return Checksums.hex(digest);
    }

    /** The published model.zip matches the SHA-256 its _SUCCESS records, and reads back as a network. */
    private static void assertPublishedModelVerifies(FileSystem fs, String output) throws Exception {
        Path success = new Path(output, ModelStore.SUCCESS);
        assertTrue(fs.exists(success), "_SUCCESS is written");
        String recorded = Checksums.parse(new String(fs.open(success).readAllBytes(), StandardCharsets.UTF_8))
                .get(ModelStore.MODEL);
        assertNotNull(recorded, "_SUCCESS records model.zip's digest");
        assertEquals(recorded, sha256(fs.open(new Path(output, ModelStore.MODEL))), "model.zip matches its digest");
        assertNotNull(new ModelStore(output, fs.getConf()).readModel(new Path(output, ModelStore.MODEL)));
    }

    private static List<String> checkpointNames(FileSystem fs, String output) throws Exception {
        List<String> names = new ArrayList<>();
        Path dir = new Path(output, ModelStore.CHECKPOINTS);
        if (fs.exists(dir)) {
            for (FileStatus s : fs.listStatus(dir)) {
                names.add(s.getPath().getName());
            }
        }
        return names;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDataNodeStoppedInEpochTwoLeavesTheRunToFinishAndPublishAVerifiedModel() throws Exception {
        try (MiniHdfs hdfs = new MiniHdfs(3, 2)) {
            SparkSession spark = TestSpark.start();
            FileSystem fs = hdfs.fileSystem();
            String input = hdfs.uri("/data/shapes3");
            DemoDataset.write(input, spark.sparkContext().hadoopConfiguration(), 3, 16, 6, 1);
            String output = hdfs.uri("/models/datanode");
            String stopped = hdfs.dataNodeAddress(0);
            AtomicReference<List<String>> checkpointsAtStop = new AtomicReference<>();
            atEpochTwo(spark, () -> {
                try {
                    hdfs.stopDataNode(0);
                    checkpointsAtStop.set(checkpointNames(fs, output));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            Run run = main(commandLine(TestJobs.small(input, output)));

            assertEquals(List.of("epoch-0001"), checkpointsAtStop.get(),
                    "the DataNode was stopped after epoch 1's checkpoint and before epoch 2's");
            assertEquals(2, hdfs.runningDataNodes(), "it was not started again");
            assertEquals(0, run.status(), run.stderr());
            assertPublishedModelVerifies(fs, output);
            Path model = new Path(output, ModelStore.MODEL);
            for (BlockLocation block : fs.getFileBlockLocations(fs.getFileStatus(model), 0, Long.MAX_VALUE)) {
                assertFalse(Arrays.asList(block.getNames()).contains(stopped),
                        "no replica of the model was placed on the stopped DataNode " + stopped);
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theNameNodeRestartedInEpochTwoIsRiddenOutAndTheRunPublishesAVerifiedModel() throws Exception {
        try (MiniHdfs hdfs = new MiniHdfs()) {
            SparkSession spark = TestSpark.startWithHadoopRetries();
            // the job makes its own HDFS client, with its own settings, as on a cluster
            Configuration testClient = hdfs.unsharedClientConfiguration();
            String input = hdfs.uri("/data/shapes3");
            FileSystem fs = new Path(input).getFileSystem(testClient);
            DemoDataset.write(input, testClient, 3, 16, 6, 1);
            String output = hdfs.uri("/models/namenode");
            AtomicReference<List<String>> checkpointsAtRestart = new AtomicReference<>();
            AtomicBoolean restarted = new AtomicBoolean();
            atEpochTwo(spark, () -> {
                try {
                    checkpointsAtRestart.set(checkpointNames(fs, output));
                    hdfs.restartNameNode(true);
                    restarted.set(true);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            Run run = main(commandLine(TestJobs.small(input, output)));

            assertTrue(restarted.get(), "the NameNode was restarted and came back");
            assertEquals(List.of("epoch-0001"), checkpointsAtRestart.get(),
                    "the restart began after epoch 1's checkpoint and before epoch 2's");
            assertEquals(0, run.status(), run.stderr());
            assertEquals(List.of("epoch-0001", "epoch-0002"), checkpointNames(fs, output),
                    "epoch 2 finished and was checkpointed too");
            assertPublishedModelVerifies(fs, output);
        }
    }
}
