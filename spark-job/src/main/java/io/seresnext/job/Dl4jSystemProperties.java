package io.seresnext.job;

/**
 * JVM-wide settings DL4J's Spark training needs, applied where the user has not set them (see shared FINDINGS):
 * without them, training statistics ask an NTP server for the time (and fail offline), and gradient sharing dies
 * at its first fit because Aeron's publication-unblock timeout is not above its client liveness timeout. On a
 * cluster the executors need the same properties in spark.executor.extraJavaOptions.
 */
public final class Dl4jSystemProperties {

    static final String TIME_SOURCE = "org.deeplearning4j.spark.time.TimeSource";
    static final String AERON_UNBLOCK = "aeron.publication.unblock.timeout";

    private Dl4jSystemProperties() {
    }

    public static void applyDefaults() {
        setIfAbsent(TIME_SOURCE, "org.deeplearning4j.spark.time.SystemClockTimeSource");
        setIfAbsent(AERON_UNBLOCK, "60000000000");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
