package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.core.loader.impl.SerializedDataSetLoader;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The workarounds in {@link ParameterAveragingMaster}, on real local Spark with two workers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainingMastersTest {

    /** Iteration counts the workers' networks report (local mode: the workers run in this JVM). */
    static final ConcurrentLinkedQueue<Integer> SEEN = new ConcurrentLinkedQueue<>();

    static final class IterationRecorder extends BaseTrainingListener implements java.io.Serializable {
        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            SEEN.add(iteration);
        }
    }

    private SparkSession spark;
    @TempDir
    Path dir;

    @BeforeAll
    void start() {
        spark = TestSpark.start();
    }

    @AfterAll
    void stop() {
        spark.stop();
    }

    private List<String> batches(int count) throws IOException {
        return TinyTraining.savedBatches(dir, count);
    }

    private static ComputationGraph network() {
        return TinyTraining.network();
    }

    @Test
    void workersContinueFromTheIterationCountOfTheMaster() throws Exception {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ComputationGraph net = network();
        net.getConfiguration().setIterationCount(100);
        // 8 batches, 2 workers, averaging every 2 iterations: two averaging rounds
        ParameterAveragingMaster master = new ParameterAveragingMaster(
                new ParameterAveragingTrainingMaster.Builder(2, 4).batchSizePerWorker(4).averagingFrequency(2)
                        .collectTrainingStats(false));
        SparkComputationGraph spark = new SparkComputationGraph(sc, net, master);
        spark.setListeners(new IterationRecorder());
        SEEN.clear();
        spark.fitPaths(sc.parallelize(batches(8), 2), new SerializedDataSetLoader());
        Set<Integer> seen = new TreeSet<>(SEEN);
        assertEquals(Set.of(100, 101, 102, 103), seen,
                "round 2 continues at 102 (stock DL4J restarts every round at 0: " + seen + ")");
        assertEquals(104, spark.getNetwork().getConfiguration().getIterationCount());
    }

    /**
     * What DL4J's gradient-sharing tasks do on an executor: each step runs in a task that first sets the worker's
     * counts to the parameter server's start position, 0 in an executor JVM (local mode shares the driver's server,
     * which hides it, so the test does it before every step).
     */
    static final class ParameterServerStartPosition extends BaseTrainingListener implements java.io.Serializable {
        @Override
        public void onForwardPass(Model model, java.util.Map<String, org.nd4j.linalg.api.ndarray.INDArray> a) {
            ((ComputationGraph) model).getConfiguration().setIterationCount(0);
            ((ComputationGraph) model).getConfiguration().setEpochCount(0);
        }
    }

    /** The job's gradient-sharing master with one worker, batch 4, on a fresh small network. */
    private SparkComputationGraph gradientSharing(JavaSparkContext sc) {
        io.seresnext.job.Dl4jSystemProperties.applyDefaults();
        java.util.Map<String, Object> o = io.seresnext.job.testing.TestJobs.small("file:///unused", "file:///unused");
        o.put("training-master.type", "gradient-sharing");
        o.put("train.batch-size", 4);
        return new SparkComputationGraph(sc, network(),
                TrainingMasters.create(io.seresnext.job.testing.TestJobs.config(o), 1, 1, "127.0.0.1"));
    }

    @Test
    void gradientSharingWorkersStepAtTheAnchoredIterationCount() throws Exception {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SparkComputationGraph spark = gradientSharing(sc);
        List<String> paths = batches(6);
        for (int epoch = 1; epoch <= 2; epoch++) {
            int first = (epoch - 1) * 6; // 6 iterations per epoch on the one worker
            spark.setListeners(new ParameterServerStartPosition(), new IterationAnchorListener(6),
                    new IterationRecorder());
            WorkerEpoch.observe(epoch); // what EpochObservingLoader does for every training batch
            SEEN.clear();
            spark.fitPaths(sc.parallelize(paths, 1), new SerializedDataSetLoader());
            List<Integer> seen = new ArrayList<>(SEEN); // one worker thread: in step order
            assertEquals(List.of(first, first + 1, first + 2, first + 3, first + 4, first + 5), seen,
                    "epoch " + epoch + " (stock DL4J on an executor: every step at the server's count " + seen + ")");
        }
    }

    /**
     * Stock SharedTrainingMaster repartitions a path RDD into one-batch partitions: every batch is a task of its
     * own, and each task ends with DL4J resetting the worker's residual (the update mass not yet sent) and dropping
     * the updates received but not yet applied. The job's partitions (one per worker) must reach the workers whole.
     */
    @Test
    void gradientSharingTrainsEachWorkersShareOfTheEpochInOneTask() throws Exception {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SparkComputationGraph spark = gradientSharing(sc);
        // the one partition of 6 batches: stock DL4J trains it as a stage of 6 one-batch tasks
        List<Integer> tasksPerStage = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.apache.spark.scheduler.SparkListener counter = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted done) {
                tasksPerStage.add(done.stageInfo().numTasks());
            }
        };
        sc.sc().addSparkListener(counter);
        try {
            spark.fitPaths(sc.parallelize(batches(6), 1), new SerializedDataSetLoader());
            sc.sc().listenerBus().waitUntilEmpty();
        } finally {
            sc.sc().removeSparkListener(counter);
        }
        assertTrue(!tasksPerStage.isEmpty() && tasksPerStage.stream().allMatch(n -> n == 1),
                "every stage of the fit runs the one partition as one task (stock DL4J: one task per batch): "
                        + tasksPerStage);
    }

    @Test
    void aGraphTrainsFromPathsWithoutAWorkerCount() throws Exception {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ComputationGraph net = network();
        org.nd4j.linalg.api.ndarray.INDArray before = net.params().dup();
        ParameterAveragingMaster master = new ParameterAveragingMaster(
                new ParameterAveragingTrainingMaster.Builder(4).batchSizePerWorker(4).averagingFrequency(2)
                        .collectTrainingStats(false));
        SparkComputationGraph spark = new SparkComputationGraph(sc, net, master);
        spark.fitPaths(sc.parallelize(batches(4), 2), new SerializedDataSetLoader()); // stock DL4J: NPE here
        assertTrue(!before.equals(spark.getNetwork().params()), "the parameters moved");
    }

    @Test
    void gradientSharingOnAClusterRequiresTheExecutorsNetworkMask() {
        java.util.Map<String, Object> o = TestJobs.small("file:///in", "file:///out");
        o.put("training-master.type", "gradient-sharing");
        o.put("training-master.gradient-sharing.network-mask", "");
        JobConfig unmasked = TestJobs.config(o);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> TrainingMasters.requireNetworkMaskOnClusters(unmasked, false));
        assertTrue(e.getMessage().startsWith("training-master.gradient-sharing.network-mask is required"),
                e.getMessage());

        TrainingMasters.requireNetworkMaskOnClusters(unmasked, true); // local mode: one JVM, nothing to expose
        o.put("training-master.gradient-sharing.network-mask", "10.1.0.0/16");
        TrainingMasters.requireNetworkMaskOnClusters(TestJobs.config(o), false);
        o.put("training-master.type", "parameter-averaging");
        o.put("training-master.gradient-sharing.network-mask", "");
        TrainingMasters.requireNetworkMaskOnClusters(TestJobs.config(o), false);
    }
}
