package io.seresnext.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JVM-wide settings DL4J's Spark training needs, applied where the user has not set them: without them, training
 * statistics ask an NTP server for the time (and fail offline), and gradient sharing dies at its first fit because
 * Aeron's publication-unblock timeout is not above its client liveness timeout. The list is conf/dl4j-options, which
 * the launch scripts pass to launched JVMs and the build copies into the jar for the job's own JVM.
 */
public final class Dl4jSystemProperties {

    static final String RESOURCE = "dl4j-options";

    private Dl4jSystemProperties() {
    }

    public static void applyDefaults() {
        defaults().forEach((key, value) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, value);
            }
        });
    }

    /** The {@code -Dkey=value} lines of conf/dl4j-options, in file order. */
    static Map<String, String> defaults() {
        try (InputStream in = Dl4jSystemProperties.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the job's jar");
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> parse(BufferedReader lines) throws IOException {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            line = line.trim();
            if (line.startsWith("-D")) {
                int eq = line.indexOf('=');
                if (eq < 3) {
                    throw new IllegalStateException(RESOURCE + ": not -Dkey=value: " + line);
                }
                properties.put(line.substring(2, eq), line.substring(eq + 1));
            }
        }
        return properties;
    }
}
