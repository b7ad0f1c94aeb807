package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.parameterserver.networking.v2.UpdatesConsumer;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ReplicaResync}: the DL4J behaviour it works around, and a drifted replica starting each epoch from the
 * driver's parameters.
 */
class ReplicaResyncTest {

    private static final JobConfig CONFIG = TestJobs.config(TestJobs.small("file:///in", "file:///out"));

    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = TestSpark.start();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static ComputationGraph network() {
        return NetworkFactory.fresh(CONFIG, 3, LearningRateSchedule.of(CONFIG.train(), 10, 16));
    }

    private static DataSet batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 16, 16), Nd4j.eye(3).castTo(DataType.FLOAT)
                .getRows(0, 1, 2, (int) (seed % 3)));
    }

    /** What the replica misses when another executor's updates are dropped. */
    private static void drift(ComputationGraph replica, long seed) {
        Nd4j.getRandom().setSeed(seed);
        replica.params().addi(Nd4j.randn(DataType.FLOAT, replica.params().shape()).muli(1e-2));
    }

    private static Broadcast<INDArray> driverParameters(ComputationGraph driver) {
        return sc.broadcast(driver.params().dup());
    }

    @Test
    void dl4jDropsTheUpdatesAnExecutorReceivesBetweenTwoFits() {
        // SharedTrainingWrapper puts the executor's consumer in bypass mode after every fit and out of it when
        // the next starts; if this fails, DL4J keeps such updates and ReplicaResync may no longer be needed
        INDArray params = Nd4j.zeros(DataType.FLOAT, 1, 64);
        UpdatesConsumer consumer = UpdatesConsumer.builder()
                .numWorkers(1)
                .params(params)
                .accumulator(new EncodedGradientsAccumulator(1, new FixedThresholdAlgorithm(1e-3),
                        new TrainingMasters.KeepResidual(), false))
                .build();
        INDArray update = Nd4j.zeros(DataType.FLOAT, 1, 64).putScalar(3, 1e-3); // what the consumer queues as is
        consumer.bypassMode(true);
        consumer.onNext(update);
        assertFalse(consumer.getUpdatesQueue().hasAnything(), "an update received between two fits is kept");
        consumer.bypassMode(false);
        consumer.onNext(update);
        assertTrue(consumer.getUpdatesQueue().hasAnything(), "an update received during a fit is queued");
    }

    /** A replica stepping at learning rate 0: only a resync moves its trainable parameters. */
    private static ComputationGraph frozenReplica(ComputationGraph driver) {
        ComputationGraph replica = driver.clone();
        replica.setLearningRate(0);
        replica.setListeners(new ReplicaResync());
        return replica;
    }

    @Test
    void aDriftedReplicaTakesTheDriversParametersAtItsFirstStepOfEachEpochOnly() {
        ComputationGraph driver = network();
        ComputationGraph replica = frozenReplica(driver);

        drift(replica, 1);
        WorkerEpoch.observe(2, driverParameters(driver));
        replica.fit(batch(2));
        assertEquals(0.0, ReplicaSnapshots.relativeDistance(driver, replica), 1e-7, "resynced in epoch 2");

        drift(replica, 3);
        ComputationGraph drifted = replica.clone();
        replica.fit(batch(4));
        assertEquals(0.0, ReplicaSnapshots.relativeDistance(drifted, replica), 1e-7, "once per epoch");

        driver.params().addi(0.5);
        WorkerEpoch.observe(3, driverParameters(driver));
        replica.fit(batch(5));
        assertEquals(0.0, ReplicaSnapshots.relativeDistance(driver, replica), 1e-7, "resynced in epoch 3");
    }

    @Test
    void aReplicaNotGivenTheDriversParametersForItsEpochKeepsItsOwn() {
        ComputationGraph driver = network();
        WorkerEpoch.observe(4, driverParameters(driver));
        ComputationGraph replica = frozenReplica(driver);
        drift(replica, 6);
        ComputationGraph drifted = replica.clone();
        WorkerEpoch.observe(5);
        replica.fit(batch(6));
        assertEquals(0.0, ReplicaSnapshots.relativeDistance(drifted, replica), 1e-7);
        assertTrue(ReplicaSnapshots.relativeDistance(driver, replica) > 1e-3, "the drift is still there");
    }
}
