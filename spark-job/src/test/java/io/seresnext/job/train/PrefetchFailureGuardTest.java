package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.impl.SerializedDataSetLoader;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A batch that cannot be loaded fails the fit instead of hanging it, under both masters, on real local Spark with
 * DL4J's prefetching on (2 batches). The third batch fails after a pause, so the training task has taken the two
 * prefetched ones and is waiting for it: without {@link PrefetchFailureGuard} both fits hang until the timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrefetchFailureGuardTest {

    private static final Duration NO_HANG = Duration.ofSeconds(90);

    /** Loads saved batches; the one named {@code batch-2} fails after a pause, as a read against a lost NameNode. */
    static final class ThirdBatchFails implements DataSetLoader {
        private static final long serialVersionUID = 1L;

        @Override
        public DataSet load(Source source) throws IOException {
            if (source.getPath().contains("batch-2.")) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("cannot read " + source.getPath() + ": the filesystem went away");
            }
            return new SerializedDataSetLoader().load(source);
        }
    }

    private SparkSession spark;
    private JavaSparkContext sc;
    @TempDir
    Path dir;

    @BeforeAll
    void start() {
        spark = TestSpark.start();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    /** The failure that reaches the driver says which batch could not be loaded and why. */
    private static void assertNamesTheBatch(Exception e) {
        String message = e.getMessage();
        assertTrue(message.contains("cannot load training batch") && message.contains("batch-2.bin")
                && message.contains("the filesystem went away"), message);
    }

    @Test
    void parameterAveragingFailsInsteadOfHangingWhenAPrefetchedBatchCannotBeLoaded() throws Exception {
        ParameterAveragingMaster master = new ParameterAveragingMaster(
                new ParameterAveragingTrainingMaster.Builder(1, 6).batchSizePerWorker(4).averagingFrequency(6)
                        .workerPrefetchNumBatches(2).collectTrainingStats(false));
        SparkComputationGraph fit = new SparkComputationGraph(sc, TinyTraining.network(), master);
        List<String> paths = TinyTraining.savedBatches(dir, 6);
        Exception e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(Exception.class,
                () -> fit.fitPaths(sc.parallelize(paths, 1), new PrefetchFailureGuard(new ThirdBatchFails()))));
        assertNamesTheBatch(e);
    }

    @Test
    void gradientSharingFailsInsteadOfHangingWhenAPrefetchedBatchCannotBeLoaded() throws Exception {
        io.seresnext.job.Dl4jSystemProperties.applyDefaults();
        Map<String, Object> o = TestJobs.small("file:///unused", "file:///unused");
        o.put("training-master.type", "gradient-sharing");
        o.put("training-master.gradient-sharing.prefetch", 2);
        o.put("train.batch-size", 4);
        SparkComputationGraph fit = new SparkComputationGraph(sc, TinyTraining.network(),
                TrainingMasters.create(TestJobs.config(o), 1, 1, "127.0.0.1"));
        List<String> paths = TinyTraining.savedBatches(dir, 6);
        Exception e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(Exception.class,
                () -> fit.fitPaths(sc.parallelize(paths, 1), new PrefetchFailureGuard(new ThirdBatchFails()))));
        assertNamesTheBatch(e);
    }
}
