package io.seresnext.job.predict;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Rows scored and rows whose image could not be read, counted by the executors while the scores are written, so
 * that checking the bad fraction needs no second pass over the output. Counted in the write's result stage, where
 * Spark merges each partition's counts once, however often its task ran.
 */
final class ScoringCounts implements Serializable {

    private static final long serialVersionUID = 1L;

    private final LongAccumulator rows;
    private final LongAccumulator errors;

    ScoringCounts(SparkContext sc) {
        this.rows = sc.longAccumulator("predict: rows scored");
        this.errors = sc.longAccumulator("predict: unreadable images");
    }

    void add(long scored, long unreadable) {
        rows.add(scored);
        errors.add(unreadable);
    }

    long rows() {
        return rows.value();
    }

    long errors() {
        return errors.value();
    }
}
