package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The properties launched JVMs get (conf/dl4j-options) are the ones the job applies to its own JVM. */
class Dl4jSystemPropertiesTest {

    @Test
    void theLaunchOptionsFileAndTheJobsDefaultsAgree() throws Exception {
        Map<String, String> launched = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("../conf/dl4j-options"))) {
            if (line.startsWith("-D")) {
                int eq = line.indexOf('=');
                launched.put(line.substring(2, eq), line.substring(eq + 1).trim());
            }
        }
        assertEquals(new TreeMap<>(Dl4jSystemProperties.DEFAULTS), launched);
    }
}
