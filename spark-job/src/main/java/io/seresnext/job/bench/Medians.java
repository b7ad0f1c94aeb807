package io.seresnext.job.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The benchmarks' summary statistic: the median of repeated measurements. */
final class Medians {

    private Medians() {
    }

    static double of(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
