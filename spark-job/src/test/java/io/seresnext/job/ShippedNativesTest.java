package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The job's class path carries the oneDNN build of libnd4j, and a JVM started with no flag at all loads it
 * (the plain linux-x86_64 natives have no oneDNN; JavaCPP picks the variant it finds on the class path).
 */
class ShippedNativesTest {

    /** What the child JVM runs: start the backend as any job would, then report libnd4j's build flags. */
    public static final class PrintBuildInfo {
        public static void main(String[] args) {
            Nd4j.create(1);
            System.out.println("BUILD:" + NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo()
                    .replace('\n', ' '));
        }
    }

    @Test
    void aJvmWithoutFlagsLoadsTheOneDnnBuildOfLibnd4j() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                // surefire runs tests from a manifest-only jar; the real class path is in this property
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                PrintBuildInfo.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String build = out.lines().filter(l -> l.startsWith("BUILD:")).findFirst().orElse(out);
        assertTrue(build.contains("HAVE_ONEDNN"), "libnd4j build without oneDNN: " + build);
    }
}
