package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import io.seresnext.job.train.LearningRateSchedule;
import io.seresnext.job.train.NetworkFactory;
import io.seresnext.model.SeResNeXtGraph;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Image folder on HDFS to published model on HDFS, on real local Spark, with each training master. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainJobTest {

    private MiniHdfs hdfs;
    private SparkSession spark;
    private String threeClasses;

    @BeforeAll
    void start() throws Exception {
        hdfs = new MiniHdfs();
        spark = TestSpark.start();
        threeClasses = hdfs.uri("/data/shapes3");
        DemoDataset.write(threeClasses, spark.sparkContext().hadoopConfiguration(), 3, 16, 6, 1);
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

    private ModelStore store(String output) {
        return new ModelStore(output, spark.sparkContext().hadoopConfiguration());
    }

    private void assertPublished(String output, int epochs, List<String> classes) throws Exception {
        FileSystem fs = hdfs.fileSystem();
        for (String f : List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.CONFIG, ModelStore.METRICS,
                ModelStore.SUCCESS)) {
            assertTrue(fs.exists(new Path(output, f)), output + "/" + f);
        }
        ModelStore store = store(output);
        assertEquals(classes, store.readLabels());
        ComputationGraph model = store.readModel(new Path(output, ModelStore.MODEL));
        assertEquals(classes.size(), model.getLayer(SeResNeXtGraph.OUTPUT).getParam("W").size(1));
        assertNotNull(model.getUpdater().getStateViewArray(), "the published model keeps its updater state");
        assertTrue(model.getUpdater().getStateViewArray().amaxNumber().doubleValue() > 0,
                "and that state is the trained momentum, not zeros");
        assertTrue(store.checkpoints().size() <= 2 && !store.checkpoints().isEmpty(), "keeps the last 2 checkpoints");
        String metrics = new String(fs.open(new Path(output, ModelStore.METRICS)).readAllBytes());
        for (int e = 1; e <= epochs; e++) {
            assertTrue(metrics.contains("\"epoch\" : " + e), metrics);
        }
    }

    @Test
    void parameterAveragingTrainsAndPublishesOnHdfs() throws Exception {
        String output = hdfs.uri("/models/pa");
        Map<String, Object> o = TestJobs.small(threeClasses, output);
        TrainJob.Result result = TrainJob.run(spark, TestJobs.config(o));

        assertPublished(output, 2, DemoDataset.CLASSES.subList(0, 3));
        List<EpochMetrics> metrics = result.state().metrics();
        assertEquals(2, metrics.size());
        assertEquals(18, metrics.get(1).valImages(), "every validation image is scored once");
        assertTrue(Double.isFinite(metrics.get(1).valLoss()));
    }

    @Test
    void gradientSharingTrainsAndPublishesOnHdfs() throws Exception {
        String output = hdfs.uri("/models/gs");
        Map<String, Object> o = TestJobs.small(threeClasses, output);
        o.put("training-master.type", "gradient-sharing");
        o.put("train.epochs", 1);
        TrainJob.Result result = TrainJob.run(spark, TestJobs.config(o));

        assertPublished(output, 1, DemoDataset.CLASSES.subList(0, 3));
        assertEquals(1, result.state().metrics().size());
    }

    @Test
    void anInterruptedRunResumesFromItsLastCheckpoint() throws Exception {
        String output = hdfs.uri("/models/resumed");
        Map<String, Object> o = TestJobs.small(threeClasses, output);
        o.put("train.epochs", 3);
        // interrupt the run the moment epoch 2 starts training: cancel that job group, as a lost driver would
        SparkListener interrupter = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                if ("epoch-2-train".equals(start.properties().getProperty("spark.jobGroup.id"))) {
                    spark.sparkContext().cancelJobGroup("epoch-2-train");
                }
            }
        };
        spark.sparkContext().addSparkListener(interrupter);
        try {
            assertThrows(Exception.class, () -> TrainJob.run(spark, TestJobs.config(o)));
        } finally {
            spark.sparkContext().removeSparkListener(interrupter);
        }
        FileSystem fs = hdfs.fileSystem();
        ModelStore store = store(output);
        int done = store.latestCheckpoint().orElseThrow().state().completedEpochs();
        assertEquals(1, done, "interrupted in epoch 2");
        assertFalse(fs.exists(new Path(output, ModelStore.SUCCESS)));
        List<EpochMetrics> before = store.latestCheckpoint().orElseThrow().state().metrics();

        Map<String, Object> resume = Map.of("input", threeClasses, "output", output, "resume", true);
        TrainJob.Result result = TrainJob.run(spark, TestJobs.config(resume));

        List<EpochMetrics> metrics = result.state().metrics();
        assertEquals(3, metrics.size(), "same epoch count as the interrupted run");
        assertEquals(before, metrics.subList(0, done), "earlier epochs carried over, not retrained");
        // the learning-rate schedule continues where it was: each epoch's rate is the uninterrupted run's
        LearningRateSchedule schedule = LearningRateSchedule.of(TestJobs.config(o).train(), 3, 16);
        for (EpochMetrics m : metrics) {
            assertEquals(schedule.valueAt(m.epoch() * 3 - 1, m.epoch() - 1), m.learningRate(), 1e-12);
        }
        assertPublished(output, 3, DemoDataset.CLASSES.subList(0, 3));
        // and the resumed network itself carries on: its counts are inside epoch 3 (not restarted), and the rate its
        // own updater applies at its last step is the uninterrupted run's schedule there
        ComputationGraph model = store(output).readModel(new Path(output, ModelStore.MODEL));
        int iterations = model.getConfiguration().getIterationCount();
        int epochs = model.getConfiguration().getEpochCount();
        assertEquals(3, epochs, "epoch count after 3 epochs");
        assertTrue(iterations > 2 * 3 && iterations <= 3 * 3, "iteration count in epoch 3 of 3 iterations each: "
                + iterations);
        double applied = model.getLayer(SeResNeXtGraph.OUTPUT).conf().getLayer().getUpdaterByParam("W")
                .getLearningRate(iterations - 1, epochs - 1);
        assertEquals(schedule.valueAt(iterations - 1, epochs - 1), applied, 1e-12);
    }

    @Test
    void aWarmStartTakesTheEarlierWeightsAndANewHeadForANewClassCount() throws Exception {
        String first = hdfs.uri("/models/warm-source");
        Map<String, Object> o = TestJobs.small(threeClasses, first);
        o.put("train.epochs", 1);
        TrainJob.run(spark, TestJobs.config(o));

        String fourClasses = hdfs.uri("/data/shapes4");
        DemoDataset.write(fourClasses, spark.sparkContext().hadoopConfiguration(), 4, 12, 4, 2);
        String second = hdfs.uri("/models/warm-target");
        Map<String, Object> w = TestJobs.small(fourClasses, second);
        w.put("train.epochs", 1);
        w.put("init-model", first + "/model.zip");
        TrainJob.run(spark, TestJobs.config(w));

        assertPublished(second, 1, DemoDataset.CLASSES.subList(0, 4));
        ComputationGraph source = store(first).readModel(new Path(first, ModelStore.MODEL));
        ComputationGraph warm = store(second).readModel(new Path(second, ModelStore.MODEL));
        // a fresh network of another seed (the same seed would start from the source's own initial weights)
        Map<String, Object> other = new java.util.HashMap<>(w);
        other.put("train.seed", 977);
        ComputationGraph fresh = NetworkFactory.fresh(TestJobs.config(other), 4,
                LearningRateSchedule.of(TestJobs.config(other).train(), 1, 8));
        // one short epoch moves the weights a little; a network that did not start from them is far away
        double fromSource = bodyWeightDistance(warm, source);
        double freshFromSource = bodyWeightDistance(fresh, source);
        assertTrue(fromSource < 0.2 * freshFromSource, "the warm-started body should stay near the earlier weights: "
                + "relative distance " + fromSource + " against " + freshFromSource + " for a fresh network");
        INDArray sourceHead = source.getLayer(SeResNeXtGraph.OUTPUT).getParam("W");
        INDArray warmHead = warm.getLayer(SeResNeXtGraph.OUTPUT).getParam("W");
        assertArrayEquals(new long[] {sourceHead.size(0), 4}, warmHead.shape(), "a new 4-class head");
        INDArray sharedColumns = warmHead.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3));
        assertTrue(sharedColumns.distance2(sourceHead) > 0.5 * sourceHead.norm2Number().doubleValue(),
                "the head was initialised anew, not copied");
    }

    /** Relative L2 distance between two networks' convolution and FC weights, the head excluded. */
    private static double bodyWeightDistance(ComputationGraph a, ComputationGraph b) {
        double diff = 0;
        double norm = 0;
        for (org.deeplearning4j.nn.api.Layer layer : b.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (name.equals(SeResNeXtGraph.OUTPUT) || !layer.paramTable().containsKey("W")) {
                continue;
            }
            INDArray w = layer.getParam("W");
            diff += Math.pow(a.getLayer(name).getParam("W").distance2(w), 2);
            norm += Math.pow(w.norm2Number().doubleValue(), 2);
        }
        assertTrue(norm > 0, "no weights compared");
        return Math.sqrt(diff / norm);
    }
}
