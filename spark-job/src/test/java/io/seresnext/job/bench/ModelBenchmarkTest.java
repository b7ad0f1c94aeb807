package io.seresnext.job.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.cli.Command;
import io.seresnext.job.cli.CommandLine;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bench-model end to end on a small input: it trains, and reports what the reference script reports. */
class ModelBenchmarkTest {

    @Test
    void reportsThroughputMemoryAndLossOfRealTrainingSteps() throws Exception {
        Command.BenchModel bench = (Command.BenchModel) CommandLine.parse(List.of("bench-model", "--preset",
                "seresnext29_8x16d_w1", "--batch", "4", "--input", "1x8x8", "--warmup", "1", "--steps", "2",
                "--gc-each-step"))
                .orElseThrow();
        Map<String, Object> r = ModelBenchmark.run(bench);
        assertEquals("seresnext29_8x16d_w1", r.get("model"));
        assertEquals("grouped_layer", r.get("form"));
        assertEquals(List.of(4, 1, 8, 8), r.get("input"));
        assertEquals(2, r.get("timed_steps"));
        double median = (Double) r.get("imgs_per_s_median");
        assertTrue((Double) r.get("imgs_per_s_min") <= median && median <= (Double) r.get("imgs_per_s_max"));
        assertTrue((Double) r.get("peak_rss_mb") > 100, "peak RSS " + r.get("peak_rss_mb"));
        // DL4J trained inside its workspaces, and the GC measurement ran after each timed step
        assertTrue(((Map<?, ?>) r.get("workspaces_mb")).containsKey("WS_ALL_LAYERS_ACT"), r.toString());
        assertTrue(Double.isFinite((Double) r.get("rss_mb_freed_by_gc_median")), r.toString());
        double loss = (Double) r.get("loss");
        assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        assertEquals("train-step", r.get("mode"));
    }

    @Test
    void forwardOnlyTimesInferenceAndReportsNoLoss() throws Exception {
        Command.BenchModel bench = (Command.BenchModel) CommandLine.parse(List.of("bench-model", "--preset",
                "seresnext29_8x16d_w1", "--batch", "4", "--input", "3x8x8", "--warmup", "1", "--steps", "2",
                "--forward-only")).orElseThrow();
        Map<String, Object> r = ModelBenchmark.run(bench);
        assertEquals("forward-only", r.get("mode"));
        assertFalse(r.containsKey("loss"), "no training step ran, so there is no loss: " + r);
        assertEquals(2, r.get("timed_steps"));
        assertTrue((Double) r.get("imgs_per_s_median") > 0, r.toString());
    }
}
