package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.NativeBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/** A fresh JVM started without any -D flag loads the oneDNN natives once NativeBackend has run. */
class NativeBackendTest {

    /** What a child JVM runs: select the natives the way Main does, then report libnd4j's build flags. */
    public static final class PrintBuildInfo {
        public static void main(String[] args) {
            NativeBackend.selectShippedNatives();
            Nd4j.create(1); // start the backend as any job would
            System.out.println("BUILD:" + NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo()
                    .replace('\n', ' '));
        }
    }

    @Test
    void theBuildRecordsTheOneDnnNatives() {
        assertEquals("-onednn-avx2", NativeBackend.builtExtension());
    }

    @Test
    void aPlainJvmLoadsTheOneDnnBuildOfLibnd4j() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        // surefire runs tests from a manifest-only jar; the real class path is in this property
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(PrintBuildInfo.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String build = out.lines().filter(l -> l.startsWith("BUILD:")).findFirst().orElse(out);
        assertTrue(build.contains("HAVE_ONEDNN"), "libnd4j build without oneDNN: " + build);
    }
}
