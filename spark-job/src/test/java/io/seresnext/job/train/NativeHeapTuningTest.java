package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * On Linux/glibc the tuning is active, and before the first iteration is done a large freed block goes back to the
 * system at once (the threshold for blocks mapped on their own is 64 KiB, not glibc's dynamic one).
 */
class NativeHeapTuningTest {

    private interface C extends Library {
        Pointer malloc(long size);

        void free(Pointer p);
    }

    private static final C LIBC = Native.loadLibrary("c", C.class);

    @Test
    void largeFreedBlocksLeaveTheProcessBeforeTheFirstIterationEnds() throws IOException {
        assertTrue(NativeHeapTuning.active(), "this test machine runs Linux with glibc");
        new NativeHeapTuning(); // loads the class: the first-iteration threshold applies
        long before = rssKb();
        for (int i = 0; i < 8; i++) {
            long size = 24L << 20; // 24 MiB: below glibc's dynamic threshold once that has risen
            Pointer block = LIBC.malloc(size);
            for (long off = 0; off < size; off += 4096) {
                block.setByte(off, (byte) 1);
            }
            LIBC.free(block);
        }
        long after = rssKb();
        assertTrue(after - before < 16 * 1024, "resident memory grew by " + (after - before) + " KiB");
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
