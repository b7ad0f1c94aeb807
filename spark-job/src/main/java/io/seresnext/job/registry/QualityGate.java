package io.seresnext.job.registry;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.evaluate.EvaluateJob;
import io.seresnext.job.evaluate.EvaluationReport;
import io.seresnext.job.evaluate.PublishedModel;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Promotion only for a model at least as good as the one in production: the candidate and the current version are
 * scored on the same fixed evaluation set, and the candidate becomes current only if its top-1 is at least the
 * current's minus the tolerance, and at least the floor. Either way the candidate stays registered.
 */
public final class QualityGate {

    private static final Logger log = LoggerFactory.getLogger(QualityGate.class);
    private static final int ATTEMPTS = 3;

    /**
     * What the gate saw and did.
     *
     * @param current      the version that was current before, or null when there was none
     * @param currentTop1  its top-1 on the same images, or null
     */
    public record Decision(String candidate, double candidateTop1, String current, Double currentTop1, long images,
                           JobConfig.Gate gate, boolean promoted) {

        /** One line for a person or a scheduler's log: the figures and the rule they were held to. */
        public String explain() {
            String against = current == null
                    ? "no current version"
                    : String.format(Locale.ROOT, "current %s %.2f%% - tolerance %.2f points = %.2f%%", current,
                    100 * currentTop1, 100 * gate.tolerance(), 100 * (currentTop1 - gate.tolerance()));
            return String.format(Locale.ROOT, "%s %s: top-1 %.2f%% on %d images of %s; %s; floor %.2f%%",
                    candidate, promoted ? "promoted" : "NOT promoted", 100 * candidateTop1, images, gate.input(),
                    against, 100 * gate.minTop1());
        }
    }

    private QualityGate() {
    }

    /**
     * Scores and decides; the promotion is one compare-and-set against the current version that was scored, so a
     * promotion made by another run meanwhile is never overwritten: the candidate is then held against the new one.
     *
     * @param options where the shard cache goes and the evaluation batch size (a training run's own settings)
     */
    public static Decision apply(SparkSession spark, ModelRegistry registry, RegistryVersion candidate,
                                 JobConfig.Gate gate, JobConfig options) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        EvaluationReport candidateScore = score(spark, candidate, gate, options, conf);
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Optional<RegistryVersion> seen = registry.current();
            Optional<RegistryVersion> current = seen.filter(v -> !v.equals(candidate));
            EvaluationReport currentScore = current.isPresent()
                    ? score(spark, current.get(), gate, options, conf) : null;
            boolean passes = candidateScore.top1() >= gate.minTop1()
                    && (currentScore == null || candidateScore.top1() >= currentScore.top1() - gate.tolerance());
            if (!passes || registry.promoteIfCurrentIs(candidate, seen)) {
                Decision decision = new Decision(candidate.name(), candidateScore.top1(),
                        current.map(RegistryVersion::name).orElse(null),
                        currentScore == null ? null : currentScore.top1(), candidateScore.images(), gate, passes);
                log.info("Quality gate: {}", decision.explain());
                return decision;
            }
            log.info("Quality gate: another run promoted a version while {} was scored; scoring against it",
                    candidate.name());
        }
        throw new RegistryException("quality gate for " + candidate.name() + ": the current version of "
                + registry.root() + " changed " + ATTEMPTS + " times while it was scored; " + candidate.name()
                + " stays registered, not promoted");
    }

    private static EvaluationReport score(SparkSession spark, RegistryVersion version, JobConfig.Gate gate,
                                          JobConfig options, Configuration conf) throws IOException {
        return EvaluateJob.score(spark, PublishedModel.read(version.path().toString(), conf), gate.input(), options);
    }
}
