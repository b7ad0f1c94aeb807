package io.seresnext.job.train;

import io.seresnext.job.data.ShardBatchLoader;
import java.io.Serializable;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Distributed validation: the parameters are broadcast, each executor scores its share of the validation batches
 * in one forward pass each (cross-entropy, top-1, top-5 from the same output), and the sums are reduced.
 */
public final class Evaluator {

    /** Sums over the validation images, and the means they give. */
    public record Result(long images, double lossSum, long top1Hits, long top5Hits) implements Serializable {
        Result plus(Result o) {
            return new Result(images + o.images, lossSum + o.lossSum, top1Hits + o.top1Hits, top5Hits + o.top5Hits);
        }

        public double loss() {
            return images == 0 ? Double.NaN : lossSum / images;
        }

        public double top1() {
            return images == 0 ? Double.NaN : (double) top1Hits / images;
        }

        public double top5() {
            return images == 0 ? Double.NaN : (double) top5Hits / images;
        }
    }

    private Evaluator() {
    }

    public static Result evaluate(JavaSparkContext sc, ComputationGraph network, List<String> batches,
                                  ShardBatchLoader loader) {
        Broadcast<String> conf = sc.broadcast(network.getConfiguration().toJson());
        // a copy: Spark closes AutoCloseable broadcast values when they are destroyed or cleaned up, and an INDArray is one;
        // broadcasting the live parameters would free the network's own buffer (seen as "DataBuffer released")
        Broadcast<INDArray> params = sc.broadcast(network.params().dup());
        try {
            int slices = Math.max(1, Math.min(batches.size(), sc.defaultParallelism()));
            return sc.parallelize(batches, slices)
                    .mapPartitions(it -> List.of(score(it, conf.value(), params.value(), loader)).iterator())
                    .reduce(Result::plus);
        } finally {
            conf.destroy();
            params.destroy();
        }
    }

    private static Result score(Iterator<String> batches, String conf, INDArray params, ShardBatchLoader loader)
            throws Exception {
        if (!batches.hasNext()) {
            return new Result(0, 0, 0, 0);
        }
        ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf));
        net.init(params, true);
        Result total = new Result(0, 0, 0, 0);
        while (batches.hasNext()) {
            DataSet ds = loader.load(batches.next());
            INDArray probabilities = net.outputSingle(false, ds.getFeatures());
            total = total.plus(score(probabilities.toFloatMatrix(), ds.getLabels().argMax(1).toIntVector()));
        }
        return total;
    }

    static Result score(float[][] probabilities, int[] labels) {
        double loss = 0;
        long top1 = 0;
        long top5 = 0;
        for (int i = 0; i < labels.length; i++) {
            float[] p = probabilities[i];
            float truth = p[labels[i]];
            int higher = 0;
            for (float v : p) {
                if (v > truth) {
                    higher++;
                }
            }
            top1 += higher < 1 ? 1 : 0;
            top5 += higher < 5 ? 1 : 0;
            loss -= Math.log(Math.max(truth, 1e-12f));
        }
        return new Result(labels.length, loss, top1, top5);
    }

}
