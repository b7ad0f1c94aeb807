package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient sharing's replica diagnostics: the snapshots written per epoch and the distance they are compared by. */
class ReplicaSnapshotsTest {

    private static final JobConfig CONFIG = TestJobs.config(TestJobs.small("file:///in", "file:///out"));

    @TempDir
    Path dir;

    private static ComputationGraph network() {
        return NetworkFactory.fresh(CONFIG, 3, LearningRateSchedule.of(CONFIG.train(), 10, 16));
    }

    @Test
    void aReplicaWrittenAtTheEndOfAnEpochReadsBackForThatEpoch() throws Exception {
        ComputationGraph net = network();
        String output = dir.toUri().toString();
        WorkerEpoch.observe(3);
        new ReplicaSnapshots(output, new Configuration()).onEpochEnd(net);
        List<INDArray> replicas = ReplicaSnapshots.read(output, 3, new Configuration());
        assertEquals(1, replicas.size());
        assertEquals(net.params(), replicas.get(0));
        assertTrue(ReplicaSnapshots.read(output, 2, new Configuration()).isEmpty(), "nothing for other epochs");
    }

    @Test
    void distanceCountsTrainableParametersAndIgnoresBatchNormStatistics() {
        ComputationGraph a = network();
        ComputationGraph b = a.clone();
        b.paramTable().forEach((name, p) -> {
            if (name.endsWith("_mean") || name.endsWith("_var") || name.endsWith("_log10stdev")) {
                p.addi(5); // running statistics drift under gradient sharing; they are re-estimated anyway
            }
        });
        assertEquals(0.0, ReplicaSnapshots.relativeDistance(a, b), 1e-12);

        INDArray w = b.getParam(b.paramTable().keySet().stream().filter(k -> k.endsWith("_W")).findFirst()
                .orElseThrow());
        double norm = 0;
        for (var e : a.paramTable().entrySet()) {
            String k = e.getKey();
            if (!(k.endsWith("_mean") || k.endsWith("_var") || k.endsWith("_log10stdev"))) {
                norm += Math.pow(e.getValue().norm2Number().doubleValue(), 2);
            }
        }
        double moved = w.norm2Number().doubleValue(); // doubling one weight array moves it by its own norm
        w.muli(2);
        assertEquals(moved / Math.sqrt(norm), ReplicaSnapshots.relativeDistance(a, b), 1e-5);
    }
}
