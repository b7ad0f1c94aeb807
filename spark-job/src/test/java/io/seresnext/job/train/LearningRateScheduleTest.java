package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.seresnext.job.config.JobConfig;
import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Nesterovs;

class LearningRateScheduleTest {

    private static LearningRateSchedule schedule(JobConfig.Schedule decay) {
        return new LearningRateSchedule(0.4, 10, 2, 10, decay, new int[] {4, 8}, 0.1);
    }

    @Test
    void linearWarmupThenCosineToZero() {
        LearningRateSchedule s = schedule(JobConfig.Schedule.COSINE);
        assertEquals(0.4 * 1 / 20.0, s.valueAt(0, 0), 1e-12);
        assertEquals(0.4 * 10 / 20.0, s.valueAt(9, 0), 1e-12);
        assertEquals(0.4, s.valueAt(19, 1), 1e-12, "peak at the end of the warm-up");
        assertEquals(0.2, s.valueAt(59, 5), 1e-12, "half-way through the decay");
        assertEquals(0.0, s.valueAt(99, 9), 1e-12);
    }

    @Test
    void stepDecayAndConstant() {
        LearningRateSchedule s = schedule(JobConfig.Schedule.STEP);
        assertEquals(0.4, s.valueAt(39, 3), 1e-12);
        assertEquals(0.04, s.valueAt(40, 4), 1e-12);
        assertEquals(0.004, s.valueAt(85, 8), 1e-12);
        assertEquals(0.4, schedule(JobConfig.Schedule.CONSTANT).valueAt(99, 9), 1e-12);
    }

    @Test
    void linearScalingWithTheGlobalBatch() {
        JobConfig.Train t = new JobConfig.Train(10, 64, JobConfig.Optimizer.SGD, 0.1, 0.9, 1e-4, 0,
                JobConfig.Schedule.CONSTANT, List.of(), 0.1, true, 256, 1, 10, 3, 64);
        assertEquals(0.1 * 1024 / 256, LearningRateSchedule.of(t, 100, 1024).valueAt(0, 0), 1e-12);
    }

    @Test
    void travelsWithTheModelConfigurationAsJson() {
        LearningRateSchedule s = schedule(JobConfig.Schedule.COSINE);
        ComputationGraphConfiguration conf = SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8),
                new NeuralNetConfiguration.Builder().updater(new Nesterovs(s, 0.9)));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        BaseLayer layer = (BaseLayer) back.getVertices().values().stream()
                .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                .map(v -> ((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf().getLayer())
                .filter(l -> l instanceof BaseLayer).findFirst().orElseThrow();
        assertEquals(s.valueAt(57, 5), ((Nesterovs) layer.getIUpdater()).getLearningRate(57, 5), 1e-12);
    }
}
