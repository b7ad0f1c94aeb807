package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IterationLagTest {

    @Test
    void quantilesAndStaleShareFollowTheRecordedLags() {
        IterationLag lag = new IterationLag();
        for (int l : new int[] {-1, -1, -1, 0, 0, 1, 2, 5, 9, -1}) {
            lag.record(l);
        }
        assertEquals(10, lag.count());
        assertEquals(0, lag.quantile(0.5));
        assertEquals(5, lag.quantile(0.9));
        assertEquals(9, lag.quantile(1.0));
        assertEquals(0.6, lag.staleShare(), 1e-12);
        assertEquals("iterations late: median 0, p90 5, max 9, stale 60 %", lag.summary());
    }

    @Test
    void lagsPastTheEndsCountInTheEndBuckets() {
        IterationLag lag = new IterationLag();
        lag.record(-1000);
        lag.record(1000);
        assertEquals(IterationLag.MIN, lag.quantile(0.5));
        assertEquals(IterationLag.MAX, lag.quantile(1.0));
        assertEquals(0.5, lag.staleShare(), 1e-12);
    }

    @Test
    void summaryAndResetStartsTheCountAfresh() {
        IterationLag lag = new IterationLag();
        lag.record(3);
        assertEquals("iterations late: median 3, p90 3, max 3, stale 100 %", lag.summaryAndReset());
        assertEquals(0, lag.count());
        lag.record(-1);
        assertEquals("iterations late: median -1, p90 -1, max -1, stale 0 %", lag.summaryAndReset());
    }
}
