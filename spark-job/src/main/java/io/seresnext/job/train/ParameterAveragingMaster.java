package io.seresnext.job.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;

/**
 * DL4J's parameter averaging with two dl4j-spark 1.0.0-M2 bugs worked around (tested in TrainingMastersTest):
 * <ol>
 *   <li>Training a ComputationGraph from paths without a worker count throws an NPE: executeTrainingPathsHelper
 *       asks the (null) MultiLayerNetwork for the Spark context. The count is taken from the graph here.</li>
 *   <li>Workers restart every averaging round at iteration 0, epoch 0: they rebuild the network from
 *       {@code ComputationGraphConfiguration.clone()}, which drops the iteration and epoch counts the master keeps
 *       (and advances by the averaging frequency each round). Every iteration-based learning-rate schedule then
 *       replays its first steps forever. The workers here take the counts from the configuration they were sent.</li>
 * </ol>
 */
public final class ParameterAveragingMaster extends ParameterAveragingTrainingMaster {

    public ParameterAveragingMaster(Builder builder) {
        super(builder);
    }

    @Override
    public void executeTrainingPaths(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                     JavaRDD<String> paths, DataSetLoader dsLoader, MultiDataSetLoader mdsLoader) {
        if (numWorkers == null && graph != null) {
            numWorkers = graph.getSparkContext().defaultParallelism();
        }
        super.executeTrainingPaths(network, graph, paths, dsLoader, mdsLoader);
    }

    @Override
    public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
        ComputationGraph net = graph.getNetwork();
        NetBroadcastTuple tuple = new NetBroadcastTuple(net.getConfiguration(), net.params(),
                net.getUpdater().getStateViewArray());
        Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(tuple);
        WorkerConfiguration configuration = new WorkerConfiguration(true, rddDataSetNumExamples, batchSizePerWorker,
                averagingFrequency, prefetchNumBatches, collectTrainingStats);
        return new CountKeepingWorker(broadcast, saveUpdater, configuration, this);
    }

    /** A worker whose network continues from the iteration and epoch counts it was sent. */
    static final class CountKeepingWorker extends ParameterAveragingTrainingWorker {
        private final Broadcast<NetBroadcastTuple> sent;

        CountKeepingWorker(Broadcast<NetBroadcastTuple> sent, boolean saveUpdater, WorkerConfiguration configuration,
                           ParameterAveragingMaster master) {
            super(sent, saveUpdater, configuration, master.getTrainingHookList(), master.listeners,
                    master.getRouterProvider());
            this.sent = sent;
        }

        @Override
        public ComputationGraph getInitialModelGraph() {
            ComputationGraph net = super.getInitialModelGraph();
            ComputationGraphConfiguration conf = sent.getValue().getGraphConfiguration();
            net.getConfiguration().setIterationCount(conf.getIterationCount());
            net.getConfiguration().setEpochCount(conf.getEpochCount());
            return net;
        }
    }
}
