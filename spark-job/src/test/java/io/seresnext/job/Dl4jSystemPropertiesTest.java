package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job's own JVM gets exactly the properties launched JVMs get from conf/dl4j-options, and user settings win. */
class Dl4jSystemPropertiesTest {

    private static final String TIME_SOURCE = "org.deeplearning4j.spark.time.TimeSource";
    private static final String UNBLOCK_TIMEOUT = "aeron.publication.unblock.timeout";

    @Test
    void theJobReadsTheSameListAsTheLaunchScripts() throws Exception {
        Map<String, String> launched;
        try (BufferedReader file = Files.newBufferedReader(Path.of("../conf/dl4j-options"))) {
            launched = Dl4jSystemProperties.parse(file);
        }
        assertEquals(launched, Dl4jSystemProperties.defaults());
        assertEquals("org.deeplearning4j.spark.time.SystemClockTimeSource", launched.get(TIME_SOURCE));
        assertEquals("60000000000", launched.get(UNBLOCK_TIMEOUT));
    }

    @Test
    void unsetPropertiesAreAppliedAndAUsersSettingIsKept() {
        String timeSource = System.getProperty(TIME_SOURCE);
        String timeout = System.getProperty(UNBLOCK_TIMEOUT);
        try {
            System.clearProperty(TIME_SOURCE);
            System.setProperty(UNBLOCK_TIMEOUT, "123");
            Dl4jSystemProperties.applyDefaults();
            assertEquals("org.deeplearning4j.spark.time.SystemClockTimeSource", System.getProperty(TIME_SOURCE));
            assertEquals("123", System.getProperty(UNBLOCK_TIMEOUT));
        } finally {
            restore(TIME_SOURCE, timeSource);
            restore(UNBLOCK_TIMEOUT, timeout);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
