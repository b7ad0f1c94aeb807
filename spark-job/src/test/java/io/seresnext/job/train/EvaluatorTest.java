package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EvaluatorTest {

    /** more than five, so that top-5 can miss */
    private static final int CLASSES = 8;

    @Test
    void distributedEvaluationScoresEveryImageAndLeavesTheNetworkIntact(@org.junit.jupiter.api.io.TempDir
                                                                        java.nio.file.Path dir) throws Exception {
        java.util.Random random = new java.util.Random(2);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(
                new java.io.FileOutputStream(dir.resolve("val-00000.shard").toFile()))) {
            io.seresnext.job.data.ShardFormat.writeHeader(out, 10);
            for (int i = 0; i < 7; i++) {
                byte[] pixels = new byte[10 * 10 * 3];
                random.nextBytes(pixels);
                io.seresnext.job.data.ShardFormat.writeRecord(out, i % CLASSES, pixels);
            }
        }
        String cache = dir.toUri().toString().replaceAll("/$", "");
        java.util.List<String> batches = java.util.List.of(
                io.seresnext.job.data.BatchPlan.descriptorFor(cache, "val", -1,
                        java.util.List.of(new io.seresnext.job.data.BatchPlan.Run("val-00000.shard", 0, 4))),
                io.seresnext.job.data.BatchPlan.descriptorFor(cache, "val", -1,
                        java.util.List.of(new io.seresnext.job.data.BatchPlan.Run("val-00000.shard", 4, 3))));
        org.deeplearning4j.nn.graph.ComputationGraph net = new org.deeplearning4j.nn.graph.ComputationGraph(
                io.seresnext.model.SeResNeXtGraph.configuration(io.seresnext.model.Presets.get("seresnext11_4x8d_tiny")
                        .withInput(3, 8, 8).withNumClasses(CLASSES)));
        net.init();
        // as a resumed run has it: restored from a model zip, whose parameter array is not a view
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(net, zip, true);
        net = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(
                new java.io.ByteArrayInputStream(zip.toByteArray()), true);
        org.nd4j.linalg.api.ndarray.INDArray before = net.params().dup();
        org.apache.spark.sql.SparkSession spark = io.seresnext.job.testing.TestSpark.start();
        try {
            io.seresnext.job.data.ShardBatchLoader loader = new io.seresnext.job.data.ShardBatchLoader(
                    new org.apache.hadoop.conf.Configuration(), 8, CLASSES, new float[] {0.5f, 0.5f, 0.5f},
                    new float[] {0.25f, 0.25f, 0.25f}, true, 1);
            Evaluator.Result r = Evaluator.evaluate(
                    org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()), net, batches,
                    loader);
            // the same figures computed here, one image at a time, by rank
            double loss = 0;
            int top1 = 0;
            int top5 = 0;
            for (String batch : batches) {
                org.nd4j.linalg.dataset.DataSet ds = loader.load(batch);
                float[][] p = net.outputSingle(false, ds.getFeatures()).toFloatMatrix();
                int[] labels = ds.getLabels().argMax(1).toIntVector();
                for (int i = 0; i < labels.length; i++) {
                    float[] row = p[i];
                    float truth = row[labels[i]];
                    long rank = java.util.stream.IntStream.range(0, CLASSES).filter(c -> row[c] > truth).count();
                    top1 += rank == 0 ? 1 : 0;
                    top5 += rank < 5 ? 1 : 0;
                    loss -= Math.log(truth);
                }
            }
            assertEquals(7, r.images());
            assertEquals(top1 / 7.0, r.top1(), 1e-12);
            assertEquals(top5 / 7.0, r.top5(), 1e-12);
            assertEquals(loss / 7, r.loss(), 1e-4);
            // Spark closes broadcast values when it destroys them: the live parameters must not have been one
            Thread.sleep(500);
            assertEquals(before, net.params());
        } finally {
            spark.stop();
        }
    }

    @Test
    void lossTopOneAndTopFiveFromTheSameProbabilities() {
        float[][] p = {
            {0.7f, 0.1f, 0.05f, 0.05f, 0.04f, 0.03f, 0.03f}, // right
            {0.3f, 0.4f, 0.1f, 0.1f, 0.05f, 0.03f, 0.02f},   // second: top-5 only
            {0.5f, 0.2f, 0.1f, 0.1f, 0.05f, 0.03f, 0.02f},   // sixth: neither
        };
        Evaluator.Result r = Evaluator.score(p, new int[] {0, 0, 5});
        assertEquals(3, r.images());
        assertEquals(1.0 / 3, r.top1(), 1e-12);
        assertEquals(2.0 / 3, r.top5(), 1e-12);
        assertEquals(-(Math.log(0.7f) + Math.log(0.3f) + Math.log(0.03f)) / 3, r.loss(), 1e-6);
    }

    @Test
    void confusionCountsTheArgmaxAndATieWithTheTruthAsAHit() {
        float[][] p = {
            {0.6f, 0.3f, 0.1f}, // class 0, right
            {0.2f, 0.7f, 0.1f}, // class 0, taken for 1
            {0.4f, 0.2f, 0.4f}, // class 2, tied with class 0: a top-1 hit, so on the diagonal
        };
        Evaluator.Result r = Evaluator.score(p, new int[] {0, 0, 2});
        assertArrayEquals(new long[][] {{1, 1, 0}, {0, 0, 0}, {0, 0, 1}}, r.confusion());
        assertEquals(2, r.top1Hits(), "the diagonal's sum");
    }

    @Test
    void resultsAddTheirConfusionCountsAndAnEmptyPartitionAddsNothing() {
        Evaluator.Result a = Evaluator.score(new float[][] {{0.9f, 0.1f}}, new int[] {0});
        Evaluator.Result b = Evaluator.score(new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}}, new int[] {1, 1});
        Evaluator.Result sum = Evaluator.Result.empty().plus(a).plus(Evaluator.Result.empty()).plus(b);
        assertEquals(3, sum.images());
        assertArrayEquals(new long[][] {{1, 0}, {1, 1}}, sum.confusion());
        assertArrayEquals(new long[][] {{1, 0}, {0, 0}}, a.confusion(), "the summands are not changed");
    }
}
