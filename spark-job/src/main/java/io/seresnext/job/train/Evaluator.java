package io.seresnext.job.train;

import io.seresnext.job.data.ShardBatchLoader;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Distributed validation (a {@link DistributedPass}): each executor scores its share of the validation batches in
 * one forward pass each (cross-entropy, top-1, top-5 from the same output), and the sums are reduced.
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
        return DistributedPass.run(sc, network, batches, loader, new Result(0, 0, 0, 0), Evaluator::score,
                Result::plus);
    }

    private static Result score(ComputationGraph net, Iterator<DataSet> batches) {
        Result total = new Result(0, 0, 0, 0);
        while (batches.hasNext()) {
            DataSet ds = batches.next();
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
