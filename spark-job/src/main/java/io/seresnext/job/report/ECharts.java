package io.seresnext.job.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Apache ECharts' browser bundle from its WebJar on the class path, to be inlined into a report so that the page
 * draws its charts with no network.
 */
public final class ECharts {

    public static final String VERSION = "5.3.1";
    static final String BUNDLE = "/META-INF/resources/webjars/echarts/" + VERSION + "/dist/echarts.min.js";

    private static volatile String script;

    private ECharts() {
    }

    /** The minified library; read once per JVM. */
    public static String script() {
        String s = script;
        if (s == null) {
            try (InputStream in = ECharts.class.getResourceAsStream(BUNDLE)) {
                if (in == null) {
                    throw new IllegalStateException("ECharts " + VERSION + " is not on the class path ("
                            + BUNDLE + ")");
                }
                s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // inside a <script> element only "</script" could end it early; the bundle has none, but make sure
            s = s.replace("</script", "<\\/script");
            script = s;
        }
        return s;
    }
}
