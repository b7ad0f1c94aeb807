package io.seresnext.job.train;

import io.seresnext.job.config.JobConfig;
import io.seresnext.model.SeResNeXtGraph;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/** The network a run starts from: a fresh preset, or an earlier model (with a new head when the classes differ). */
public final class NetworkFactory {

    private NetworkFactory() {
    }

    static IUpdater updater(JobConfig.Train t, LearningRateSchedule schedule) {
        return t.optimizer() == JobConfig.Optimizer.ADAM ? new Adam(schedule)
                : new Nesterovs(schedule, t.momentum());
    }

    public static ComputationGraph fresh(JobConfig config, int numClasses, LearningRateSchedule schedule) {
        JobConfig.Train t = config.train();
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(t.seed())
                .updater(updater(t, schedule))
                .weightInit(WeightInit.RELU);
        if (t.weightDecay() > 0) {
            // coupled L2 before the updater, as PyTorch's SGD weight_decay: DL4J's weightDecay() is applied after
            // momentum, which with momentum 0.9 decays about ten times less than the same coefficient in PyTorch
            base.l2(t.weightDecay());
        }
        ComputationGraph net = new ComputationGraph(
                SeResNeXtGraph.configuration(config.model().spec(numClasses), base));
        net.init();
        return net;
    }

    /**
     * The earlier model with this run's optimizer and schedule (fresh optimizer state and counters); its head is
     * replaced when the class count changed. (The network ends in global pooling, so it takes any image size.)
     */
    public static ComputationGraph warmStart(ComputationGraph earlier, String source, JobConfig config,
                                             int numClasses, LearningRateSchedule schedule) {
        JobConfig.Train t = config.train();
        FineTuneConfiguration.Builder fine = new FineTuneConfiguration.Builder()
                .updater(updater(t, schedule)).seed(t.seed());
        if (t.weightDecay() > 0) {
            fine.l2(t.weightDecay());
        }
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(earlier)
                .fineTuneConfiguration(fine.build());
        long oldClasses = earlier.getLayer(SeResNeXtGraph.OUTPUT).getParam("W").size(1);
        if (oldClasses != numClasses) {
            b.nOutReplace(SeResNeXtGraph.OUTPUT, numClasses, WeightInit.XAVIER);
        }
        ComputationGraph net = b.build();
        net.getConfiguration().setEpochCount(0);
        net.getConfiguration().setIterationCount(0);
        return net;
    }
}
