package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Platform;
import io.seresnext.job.TrainJob;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AeronPollerPriority}: which threads it lowers, and that a gradient-sharing run lowers DL4J's own. */
class AeronPollerPriorityTest {

    @TempDir
    Path dir;

    @Test
    void lowersTheTransportPoolsThreadsAndNoOthers() throws Exception {
        assumeTrue(Platform.isLinux());
        CountDownLatch started = new CountDownLatch(2);
        CountDownLatch finish = new CountDownLatch(1);
        Runnable park = () -> {
            started.countDown();
            try {
                finish.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Thread pool = new Thread(park, AeronPollerPriority.POOL_THREAD_NAME);
        Thread other = new Thread(park, "an unrelated thread");
        pool.start();
        other.start();
        try {
            started.await();
            List<Integer> poolThreads = AeronPollerPriority.poolThreads();
            assertFalse(poolThreads.isEmpty(), "the thread named like DL4J's pool is found");
            AeronPollerPriority.lowerInThisJvm();
            for (int tid : poolThreads) {
                assertEquals(AeronPollerPriority.LOWEST_PRIORITY, AeronPollerPriority.niceness(tid).orElseThrow());
            }
            int otherTid = threadNamed("an unrelated th");
            assertEquals(0, AeronPollerPriority.niceness(otherTid).orElseThrow(), "other threads keep nice 0");
        } finally {
            finish.countDown();
            pool.join();
            other.join();
        }
    }

    /**
     * The real transport: after a gradient-sharing run in local mode, the threads DL4J's Aeron transport started in
     * this JVM exist under the name the workaround looks for, and all run at the lowest priority (stock: nice 0).
     */
    @Test
    void aGradientSharingRunLeavesDl4jsMessageThreadsAtTheLowestPriority() throws Exception {
        assumeTrue(Platform.isLinux());
        SparkSession spark = TestSpark.start();
        try {
            String input = dir.resolve("shapes").toUri().toString();
            DemoDataset.write(input, spark.sparkContext().hadoopConfiguration(), 3, 16, 6, 1);
            Map<String, Object> o = TestJobs.small(input, dir.resolve("out").toUri().toString());
            o.put("training-master.type", "gradient-sharing");
            o.put("train.epochs", 1);
            TrainJob.run(spark, TestJobs.config(o));
        } finally {
            spark.stop();
        }
        List<Integer> transportThreads = AeronPollerPriority.poolThreads();
        assertFalse(transportThreads.isEmpty(), "DL4J's transport pool threads are named "
                + AeronPollerPriority.POOL_THREAD_NAME);
        for (int tid : transportThreads) {
            assertEquals(AeronPollerPriority.LOWEST_PRIORITY, AeronPollerPriority.niceness(tid).orElseThrow(),
                    "thread " + tid);
        }
    }

    private static int threadNamed(String linuxName) throws Exception {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                if (Files.readString(task.resolve("comm")).strip().equals(linuxName)) {
                    return Integer.parseInt(task.getFileName().toString());
                }
            }
        }
        throw new AssertionError("no thread named " + linuxName);
    }
}
