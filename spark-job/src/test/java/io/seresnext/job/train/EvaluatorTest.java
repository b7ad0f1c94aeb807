package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EvaluatorTest {

    @Test
    void lossTopOneAndTopFiveFromTheSameProbabilities() {
        float[][] p = {
            {0.7f, 0.1f, 0.05f, 0.05f, 0.04f, 0.03f, 0.03f}, // right
            {0.3f, 0.4f, 0.1f, 0.1f, 0.05f, 0.03f, 0.02f},   // second: top-5 only
            {0.5f, 0.2f, 0.1f, 0.1f, 0.05f, 0.03f, 0.02f},   // sixth: neither
        };
        Evaluator.Result r = Evaluator.score(p, new int[] {0, 0, 5});
        assertEquals(3, r.images());
        assertEquals(1.0 / 3, r.top1(), 1e-12);
        assertEquals(2.0 / 3, r.top5(), 1e-12);
        assertEquals(-(Math.log(0.7f) + Math.log(0.3f) + Math.log(0.03f)) / 3, r.loss(), 1e-6);
    }
}
