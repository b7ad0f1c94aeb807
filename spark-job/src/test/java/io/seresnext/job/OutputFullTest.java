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
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An output whose filesystem fills up mid-run (an HDFS space quota on a MiniDFSCluster, set while epoch 2 trains):
 * the run ends with exit status 1 and an error naming the file and the quota; the model published before is intact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutputFullTest {

    private MiniHdfs hdfs;
    private SparkSession spark;

    @BeforeAll
    void start() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
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

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = Checksums.sha256();
        try (in) {
            digest.update(in.readAllBytes());
        }
        return Checksums.hex(digest);
    }

    /** Main's command line for the test job's configuration: URIs as options (HOCON reads "//" as a comment). */
    private static String[] commandLine(Map<String, Object> options) {
        List<String> args = new ArrayList<>(List.of("train", "--input", (String) options.get("input"), "--output",
                (String) options.get("output"), "--overwrite"));
        options.forEach((key, value) -> {
            if (!List.of("input", "output").contains(key)) {
                args.addAll(List.of("--set", key + "=" + value));
            }
        });
        return args.toArray(new String[0]);
    }

    @Test
    void aQuotaReachedMidRunExitsWithOneNamingTheFileAndKeepsTheEarlierModel() throws Exception {
        DistributedFileSystem fs = (DistributedFileSystem) hdfs.fileSystem();
        String input = hdfs.uri("/data/shapes3");
        DemoDataset.write(input, spark.sparkContext().hadoopConfiguration(), 3, 16, 6, 1);
        String output = hdfs.uri("/models/full");
        Map<String, Object> first = TestJobs.small(input, output);
        first.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(first));
        String published = Checksums.parse(new String(fs.open(new Path(output, ModelStore.SUCCESS)).readAllBytes(),
                StandardCharsets.UTF_8)).get(ModelStore.MODEL);
        assertNotNull(published);

        // a second run over it; once epoch 2 trains, the output may not grow: its checkpoint cannot be written
        Map<String, Object> second = TestJobs.small(input, output);
        AtomicLong quota = new AtomicLong();
        SparkListener filler = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                if ("epoch-2-train".equals(start.properties().getProperty("spark.jobGroup.id")) && quota.get() == 0) {
                    try {
                        long used = fs.getContentSummary(new Path(output)).getSpaceConsumed();
                        fs.setQuota(new Path(output), HdfsConstants.QUOTA_DONT_SET, used);
                        quota.set(used);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        };
        spark.sparkContext().addSparkListener(filler);
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            status = Main.run(commandLine(second)); // takes the test's Spark session, and stops it when done
        } finally {
            System.setErr(original);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);

        assertTrue(quota.get() > 0, "the quota was set while epoch 2 trained");
        assertEquals(1, status, stderr);
        String error = Arrays.stream(stderr.split("\n")).filter(l -> l.startsWith("Error: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no error line: " + stderr));
        assertTrue(error.contains("/models/full/checkpoints/epoch-0002") && error.contains("over its quota"),
                "names the checkpoint and says the filesystem is over its quota: " + error);
        assertFalse(stderr.contains("\tat "), "a message, not a stack trace: " + stderr);

        assertEquals(published, sha256(fs.open(new Path(output, ModelStore.MODEL))),
                "the model published before is intact and matches its recorded digest");
        assertFalse(fs.exists(new Path(output, ModelStore.SUCCESS)), "the failed run is not taken for a finished one");
        ModelStore store = new ModelStore(output, hdfs.fileSystem().getConf());
        assertEquals(1, store.latestCheckpoint().orElseThrow().state().completedEpochs(),
                "the last complete checkpoint is epoch 1's, and it reads back against its digest");
        List<String> left = new ArrayList<>();
        for (FileStatus s : fs.listStatus(new Path(output, ModelStore.CHECKPOINTS))) {
            left.add(s.getPath().getName());
        }
        assertEquals(List.of("epoch-0001"), left, "no part of epoch 2's checkpoint is left");
    }
}
