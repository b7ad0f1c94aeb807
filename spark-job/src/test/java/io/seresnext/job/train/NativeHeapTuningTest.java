package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * On Linux/glibc the tuning is active, and under the first iteration's threshold a large freed block goes back to the
 * system at once (the threshold for blocks mapped on their own is 64 KiB, not glibc's dynamic one). The test sets
 * that threshold itself and restores the JVM's state after, so earlier training in the same JVM does not matter.
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
        NativeHeapTuning.mmapThreshold(NativeHeapTuning.FIRST_ITERATION_MMAP_THRESHOLD);
        try {
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
        } finally {
            NativeHeapTuning.mmapThreshold(NativeHeapTuning.settled() ? NativeHeapTuning.STEADY_MMAP_THRESHOLD
                    : NativeHeapTuning.FIRST_ITERATION_MMAP_THRESHOLD);
        }
    }

    @Test
    void freedMemoryThatGlibcKeepsGoesBackOncePerTrimInterval() throws IOException {
        NativeHeapTuning.mmapThreshold(NativeHeapTuning.STEADY_MMAP_THRESHOLD);
        try {
            long now = System.nanoTime();
            assertTrue(NativeHeapTuning.trimIfDue(now + NativeHeapTuning.TRIM_INTERVAL_NANOS));
            // 128 blocks of 1 MiB, each followed by one that stays allocated: freed, the first ones are holes
            // between live blocks that glibc keeps (only free memory at an arena's top goes back by itself)
            Pointer[] blocks = new Pointer[128];
            Pointer[] pins = new Pointer[blocks.length];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = LIBC.malloc(1L << 20);
                for (long off = 0; off < (1L << 20); off += 4096) {
                    blocks[i].setByte(off, (byte) 1);
                }
                pins[i] = LIBC.malloc(1L << 20);
            }
            for (Pointer b : blocks) {
                LIBC.free(b);
            }
            long retained = rssKb();
            assertFalse(NativeHeapTuning.trimIfDue(now + NativeHeapTuning.TRIM_INTERVAL_NANOS + 1),
                    "no second trim within the interval");
            assertTrue(retained - rssKb() < 16 * 1024, "nothing was trimmed within the interval");
            assertTrue(NativeHeapTuning.trimIfDue(now + 2 * NativeHeapTuning.TRIM_INTERVAL_NANOS + 1));
            long trimmed = retained - rssKb();
            for (Pointer p : pins) {
                LIBC.free(p);
            }
            assertTrue(trimmed > 64 * 1024, "the trim returned only " + trimmed + " KiB of 128 MiB freed");
        } finally {
            NativeHeapTuning.mmapThreshold(NativeHeapTuning.settled() ? NativeHeapTuning.STEADY_MMAP_THRESHOLD
                    : NativeHeapTuning.FIRST_ITERATION_MMAP_THRESHOLD);
        }
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
