package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.model.SeResNeXtGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Nesterovs;

class NetworkFactoryTest {

    private static final JobConfig CONFIG = TestJobs.config(TestJobs.small("file:///in", "file:///out"));

    private static LearningRateSchedule schedule() {
        return LearningRateSchedule.of(CONFIG.train(), 10, 16);
    }

    @Test
    void aWarmStartKeepsTheEarlierWeightsAndReplacesTheHeadForNewClasses() {
        ComputationGraph earlier = NetworkFactory.fresh(CONFIG, 3, schedule());
        earlier.params().addi(0.5); // distinguishable from any fresh initialisation

        ComputationGraph warm = NetworkFactory.warmStart(earlier, "earlier.zip", CONFIG, 5, schedule());

        assertEquals(5, warm.getLayer(SeResNeXtGraph.OUTPUT).getParam("W").size(1));
        assertEquals(earlier.getLayer("stem_conv").getParam("W"), warm.getLayer("stem_conv").getParam("W"));
        assertEquals(earlier.getLayer("s3b1_conv2").getParam("W"), warm.getLayer("s3b1_conv2").getParam("W"));
        assertEquals(0, warm.getConfiguration().getIterationCount(), "a new run's schedule starts at its beginning");
        Nesterovs updater = (Nesterovs) ((org.deeplearning4j.nn.conf.layers.BaseLayer) warm.getLayer("stem_conv")
                .conf().getLayer()).getIUpdater();
        assertEquals(schedule().valueAt(3, 0), updater.getLearningRate(3, 0), 1e-12, "this run's schedule");
    }

    @Test
    void aWarmStartWithTheSameClassesKeepsTheHead() {
        ComputationGraph earlier = NetworkFactory.fresh(CONFIG, 3, schedule());
        ComputationGraph warm = NetworkFactory.warmStart(earlier, "earlier.zip", CONFIG, 3, schedule());
        assertNotSame(earlier, warm);
        assertEquals(earlier.getLayer(SeResNeXtGraph.OUTPUT).getParam("W"),
                warm.getLayer(SeResNeXtGraph.OUTPUT).getParam("W"));
    }
}
