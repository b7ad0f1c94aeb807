package io.seresnext.job.train;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How late another executor's updates arrive, counted in iterations: the receiver's last finished iteration minus
 * the sender's iteration stamped on the message. DL4J applies a received update before the receiver's next forward
 * pass, so -1 (the receiver still in the same step) is as fresh as its own update, 0 is one step stale, k is k + 1.
 * A bounded histogram: lags past its ends count in its first or last bucket. For the logs, not for decisions: a lag
 * recorded while {@link #summaryAndReset()} runs may land in either line.
 */
final class IterationLag {

    static final int MIN = -8;
    static final int MAX = 64;

    private final AtomicLongArray counts = new AtomicLongArray(MAX - MIN + 1);

    void record(int lag) {
        counts.incrementAndGet(Math.max(MIN, Math.min(MAX, lag)) - MIN);
    }

    long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The smallest lag at or below which a share {@code q} of the updates arrived. */
    int quantile(double q) {
        long n = count();
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (n > 0 && seen >= Math.ceil(q * n)) {
                return i + MIN;
            }
        }
        return MAX;
    }

    /** Share of the updates that arrived after the receiver had finished their step (lag 0 or more): stale ones. */
    double staleShare() {
        long n = count();
        long stale = 0;
        for (int i = -MIN; i < counts.length(); i++) {
            stale += counts.get(i);
        }
        return n == 0 ? 0 : stale / (double) n;
    }

    /** "iterations late: median m, p90 q, max x, stale s %" */
    String summary() {
        return String.format(Locale.ROOT, "iterations late: median %d, p90 %d, max %d, stale %.0f %%", quantile(0.5),
                quantile(0.9), quantile(1.0), 100 * staleShare());
    }

    /** {@link #summary()} of what was recorded since the last call, which starts the count afresh. */
    synchronized String summaryAndReset() {
        String s = summary();
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
        return s;
    }
}
