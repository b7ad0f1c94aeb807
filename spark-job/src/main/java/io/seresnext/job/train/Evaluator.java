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
 * one forward pass each (cross-entropy, top-1, top-5 and the confusion counts from the same output), and the sums
 * are reduced.
 */
public final class Evaluator {

    /**
     * Sums over the validation images, and the means they give.
     *
     * @param confusion counts by true class (row) and predicted class (column), over the network's classes; empty
     *                  while no image has been scored
     */
    public record Result(long images, double lossSum, long top1Hits, long top5Hits, long[][] confusion)
            implements Serializable {

        static Result empty() {
            return new Result(0, 0, 0, 0, new long[0][0]);
        }

        Result plus(Result o) {
            if (o.images == 0) {
                return this;
            }
            if (images == 0) {
                return o;
            }
            long[][] sum = new long[confusion.length][];
            for (int i = 0; i < sum.length; i++) {
                sum[i] = confusion[i].clone();
                for (int j = 0; j < sum[i].length; j++) {
                    sum[i][j] += o.confusion[i][j];
                }
            }
            return new Result(images + o.images, lossSum + o.lossSum, top1Hits + o.top1Hits, top5Hits + o.top5Hits,
                    sum);
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
        return DistributedPass.run(sc, network, batches, loader, Result.empty(), Evaluator::score, Result::plus);
    }

    private static Result score(ComputationGraph net, Iterator<DataSet> batches) {
        Result total = Result.empty();
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
        int classes = labels.length == 0 ? 0 : probabilities[0].length;
        long[][] confusion = new long[classes][classes];
        for (int i = 0; i < labels.length; i++) {
            float[] p = probabilities[i];
            float truth = p[labels[i]];
            int higher = 0;
            int argmax = 0;
            for (int c = 0; c < p.length; c++) {
                if (p[c] > truth) {
                    higher++;
                }
                if (p[c] > p[argmax]) {
                    argmax = c;
                }
            }
            top1 += higher < 1 ? 1 : 0;
            top5 += higher < 5 ? 1 : 0;
            // a tie with the true class counts as a hit, as in top-1, so that the diagonal sums to the top-1 hits
            confusion[labels[i]][higher < 1 ? labels[i] : argmax]++;
            loss -= Math.log(Math.max(truth, 1e-12f));
        }
        return new Result(labels.length, loss, top1, top5, confusion);
    }

}
