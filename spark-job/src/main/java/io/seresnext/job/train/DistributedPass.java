package io.seresnext.job.train;

import io.seresnext.job.data.ShardBatchLoader;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A read-only pass of a network over batches on the executors: the configuration and a copy of the parameters are
 * broadcast, each partition builds one network and folds its batches into a result, and the results are reduced.
 * What {@link Evaluator} and {@link BatchNormRecalibration} run.
 */
final class DistributedPass {

    /** One partition's work: the network, its batches (loaded on demand), the result. */
    interface PartitionFunction<R> extends Serializable {
        R apply(ComputationGraph network, Iterator<DataSet> batches) throws Exception;
    }

    private DistributedPass() {
    }

    /** @param empty the result of a partition without batches (no network is built for it) */
    static <R extends Serializable> R run(JavaSparkContext sc, ComputationGraph network, List<String> batches,
                                          ShardBatchLoader loader, R empty, PartitionFunction<R> function,
                                          Function2<R, R, R> reduce) {
        Broadcast<String> conf = sc.broadcast(network.getConfiguration().toJson());
        // a copy: Spark closes AutoCloseable broadcast values when they are destroyed or cleaned up, and an INDArray is one;
        // broadcasting the live parameters would free the network's own buffer (seen as "DataBuffer released")
        Broadcast<INDArray> params = sc.broadcast(network.params().dup());
        try {
            int slices = Math.max(1, Math.min(batches.size(), sc.defaultParallelism()));
            return sc.parallelize(batches, slices)
                    .mapPartitions(it -> List.of(it.hasNext()
                            ? function.apply(build(conf.value(), params.value()), load(it, loader))
                            : empty).iterator())
                    .reduce(reduce);
        } finally {
            conf.destroy();
            params.destroy();
        }
    }

    private static ComputationGraph build(String conf, INDArray params) {
        ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf));
        net.init(params, true);
        return net;
    }

    private static Iterator<DataSet> load(Iterator<String> descriptors, ShardBatchLoader loader) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return descriptors.hasNext();
            }

            @Override
            public DataSet next() {
                try {
                    return loader.load(descriptors.next());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
