package io.seresnext.job.train;

import io.seresnext.job.data.ShardBatchLoader;
import io.seresnext.model.layers.NativeBatchNormalization;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Re-estimates a network's batch-norm running statistics from training batches ("precise BN"), on the executors.
 * Gradient sharing needs it: DL4J shares the running means and variances as threshold-encoded updates like any
 * gradient, so each moves by at most the threshold per message and the shared statistics trail the activations
 * they describe. The network trains (training mode normalises with batch statistics) but evaluates and serves
 * badly, near chance on the equivalence benchmark without this (BENCHMARKS.md). Each executor runs its share of
 * the batches forward in training mode and sums every batch-norm layer's per-channel input mean and mean square;
 * the driver sets each layer's running mean and variance to the pooled values. Tested in BatchNormRecalibrationTest.
 */
public final class BatchNormRecalibration {

    private BatchNormRecalibration() {
    }

    /** Per batch-norm layer, sums over batches of the per-channel input mean and mean square, and the batches. */
    static final class Moments implements Serializable {
        private static final long serialVersionUID = 1L;
        final Map<String, double[]> mean = new HashMap<>();
        final Map<String, double[]> square = new HashMap<>();
        long batches;

        Moments plus(Moments o) {
            o.mean.forEach((k, v) -> add(mean, k, v));
            o.square.forEach((k, v) -> add(square, k, v));
            batches += o.batches;
            return this;
        }

        private static void add(Map<String, double[]> into, String key, double[] values) {
            double[] sum = into.computeIfAbsent(key, k -> new double[values.length]);
            for (int i = 0; i < values.length; i++) {
                sum[i] += values[i];
            }
        }
    }

    /** Sets the running statistics of every batch-norm layer of {@code network} from {@code batches}. */
    public static void recalibrate(JavaSparkContext sc, ComputationGraph network, List<String> batches,
                                   ShardBatchLoader loader) {
        if (!batches.isEmpty()) {
            apply(network, DistributedPass.run(sc, network, batches, loader, new Moments(),
                    (net, data) -> moments(net, features(data)), Moments::plus));
        }
    }

    private static Iterator<INDArray> features(Iterator<DataSet> batches) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return batches.hasNext();
            }

            @Override
            public INDArray next() {
                return batches.next().getFeatures();
            }
        };
    }

    /**
     * The batch-norm layers' input moments over these batches, the network run in training mode. Where every batch
     * norm keeps the statistics it normalised with (the project's layers), a forward pass in DL4J's workspaces gives
     * them; otherwise each layer's input is taken from the activations, which DL4J copies out of its workspaces
     * (several times slower: BENCHMARKS.md, "Throughput").
     */
    static Moments moments(ComputationGraph net, Iterator<INDArray> batches) {
        Map<String, String> inputOf = batchNormInputs(net);
        boolean kept = inputOf.keySet().stream()
                .allMatch(name -> NativeBatchNormalization.keepsBatchStatistics(net.getLayer(name)));
        return kept ? keptMoments(net, inputOf.keySet(), batches) : activationMoments(net, inputOf, batches);
    }

    /** From the statistics each batch norm normalised with: mean, and biased variance + mean squared. */
    private static Moments keptMoments(ComputationGraph net, Iterable<String> batchNorms, Iterator<INDArray> batches) {
        Moments m = new Moments();
        Map<String, double[]> previous = new HashMap<>();
        while (batches.hasNext()) {
            net.output(true, batches.next());
            for (String bn : batchNorms) {
                double[][] s = NativeBatchNormalization.lastBatchStatistics(net.getLayer(bn));
                if (s == null || s[0] == previous.put(bn, s[0])) {
                    throw new IllegalStateException("batch norm " + bn + " kept no statistics of this batch");
                }
                double[] square = new double[s[0].length];
                for (int k = 0; k < square.length; k++) {
                    square[k] = s[1][k] + s[0][k] * s[0][k];
                }
                Moments.add(m.mean, bn, s[0]);
                Moments.add(m.square, bn, square);
            }
            m.batches++;
        }
        return m;
    }

    /** From the activations feeding each batch norm. */
    static Moments activationMoments(ComputationGraph net, Map<String, String> inputOf, Iterator<INDArray> batches) {
        Moments m = new Moments();
        while (batches.hasNext()) {
            INDArray features = batches.next();
            Map<String, INDArray> activations = net.feedForward(features, true);
            inputOf.forEach((bn, input) -> {
                INDArray x = activations.get(input);
                int[] reduce = x.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
                try (INDArray mean = x.mean(reduce); INDArray square = x.mul(x); INDArray meanSquare =
                        square.mean(reduce)) {
                    Moments.add(m.mean, bn, mean.toDoubleVector());
                    Moments.add(m.square, bn, meanSquare.toDoubleVector());
                }
            });
            release(activations.values(), features);
            m.batches++;
        }
        return m;
    }

    /**
     * Frees the detached copies of one batch's activations now instead of leaving hundreds of full-size off-heap
     * arrays per batch to the garbage collector (BENCHMARKS.md, "Throughput").
     */
    static void release(Iterable<INDArray> arrays, INDArray keep) {
        for (INDArray a : arrays) {
            if (a != keep && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }

    /** Each batch-norm layer's name, with the name of the vertex whose output it normalises. */
    static Map<String, String> batchNormInputs(ComputationGraph net) {
        Map<String, String> inputs = new HashMap<>();
        for (Layer layer : net.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization bn) {
                inputs.put(bn.getLayerName(), net.getConfiguration().getVertexInputs().get(bn.getLayerName()).get(0));
            }
        }
        return inputs;
    }

    /** Mean = pooled mean; variance = pooled mean square - mean squared (the running variance, or its log10 std). */
    static void apply(ComputationGraph network, Moments total) {
        for (Map.Entry<String, double[]> e : total.mean.entrySet()) {
            Layer layer = network.getLayer(e.getKey());
            double[] mean = e.getValue().clone();
            double[] square = total.square.get(e.getKey());
            double[] variance = new double[mean.length];
            for (int i = 0; i < mean.length; i++) {
                mean[i] /= total.batches;
                variance[i] = Math.max(square[i] / total.batches - mean[i] * mean[i], 1e-12);
            }
            INDArray meanParam = layer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            meanParam.assign(Nd4j.create(mean).reshape(meanParam.shape()).castTo(meanParam.dataType()));
            INDArray var = Nd4j.create(variance).castTo(meanParam.dataType()).reshape(meanParam.shape());
            if (((BatchNormalization) layer.conf().getLayer()).isUseLogStd()) {
                // log10(std) = 0.5 * log10(variance)
                layer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)
                        .assign(Transforms.log(var, 10.0, false).muli(0.5));
            } else {
                layer.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).assign(var);
            }
        }
    }
}
