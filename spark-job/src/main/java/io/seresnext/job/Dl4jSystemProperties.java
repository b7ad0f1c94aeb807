package io.seresnext.job;

import java.util.Map;

/**
 * JVM-wide settings DL4J's Spark training needs, applied where the user has not set them: without them, training
 * statistics ask an NTP server for the time (and fail offline), and gradient sharing dies at its first fit because
 * Aeron's publication-unblock timeout is not above its client liveness timeout. Launched JVMs get the same
 * properties from conf/dl4j-options (Dl4jSystemPropertiesTest keeps the two equal).
 */
public final class Dl4jSystemProperties {

    static final Map<String, String> DEFAULTS = Map.of(
            "org.deeplearning4j.spark.time.TimeSource", "org.deeplearning4j.spark.time.SystemClockTimeSource",
            "aeron.publication.unblock.timeout", "60000000000");

    private Dl4jSystemProperties() {
    }

    public static void applyDefaults() {
        DEFAULTS.forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        });
    }
}
