package io.seresnext.job.train;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.Serializable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a training JVM's resident memory near what a training step needs. ND4J's arrays and oneDNN's temporaries
 * (reorder buffers of 8-64 MB, allocated and freed around every convolution) live in the C heap, and glibc's
 * defaults inflate it (BENCHMARKS.md, "Memory"):
 * <ul>
 *   <li>DL4J sizes its workspaces in the first iteration by allocating every array outside them; glibc keeps those
 *   freed blocks in its arenas and the workspaces then come on top, so the first step peaks far above the
 *   steady state;</li>
 *   <li>glibc's dynamic mmap threshold rises to the largest block freed, after which oneDNN's temporaries are no
 *   longer returned and the heap keeps growing.</li>
 * </ul>
 * Until the first iteration in this JVM is done, blocks from 64 KiB up are mapped on their own (returned to the
 * system when freed); then the heap is trimmed and the threshold fixed at 32 MiB, so the step's temporaries reuse
 * memory without page faults. Mapping every large block for the whole run would lower the peak further but cost
 * throughput in page faults. From then on the heap is trimmed again at most once a {@link #TRIM_INTERVAL_NANOS
 * minute}: what the step frees between its long-lived arrays stays in glibc's arenas otherwise, and a YARN container
 * is measured by its resident memory (BENCHMARKS.md, "Soak"). A no-op outside Linux/glibc. Attached to every
 * training network, on the executors too (listeners travel with DL4J's Spark workers); class loading applies the
 * first setting.
 */
public final class NativeHeapTuning extends BaseTrainingListener implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(NativeHeapTuning.class);

    /** glibc's mallopt parameter M_MMAP_THRESHOLD. */
    private static final int M_MMAP_THRESHOLD = -3;
    static final int FIRST_ITERATION_MMAP_THRESHOLD = 64 << 10;
    static final int STEADY_MMAP_THRESHOLD = 32 << 20;

    private interface Glibc extends Library {
        int mallopt(int param, int value);

        int malloc_trim(long pad);
    }

    private static final Glibc GLIBC = load();
    private static final AtomicBoolean SETTLED = new AtomicBoolean();
    static final long TRIM_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final AtomicLong LAST_TRIM = new AtomicLong(System.nanoTime());

    static {
        mmapThreshold(FIRST_ITERATION_MMAP_THRESHOLD);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (GLIBC != null && SETTLED.compareAndSet(false, true)) {
            GLIBC.malloc_trim(0);
            LAST_TRIM.set(System.nanoTime());
            mmapThreshold(STEADY_MMAP_THRESHOLD);
        } else {
            trimIfDue(System.nanoTime());
        }
    }

    /** Trims the C heap when a trim interval has passed since the last trim; whether it did. */
    static boolean trimIfDue(long nowNanos) {
        long last = LAST_TRIM.get();
        if (GLIBC == null || nowNanos - last < TRIM_INTERVAL_NANOS || !LAST_TRIM.compareAndSet(last, nowNanos)) {
            return false;
        }
        GLIBC.malloc_trim(0);
        return true;
    }

    /** Whether this JVM's C heap is tuned (Linux with glibc). */
    static boolean active() {
        return GLIBC != null;
    }

    /** Whether the first iteration is done and the steady threshold applies. */
    static boolean settled() {
        return SETTLED.get();
    }

    static void mmapThreshold(int bytes) {
        if (GLIBC != null && GLIBC.mallopt(M_MMAP_THRESHOLD, bytes) != 1) {
            log.warn("mallopt(M_MMAP_THRESHOLD, {}) refused; the C heap keeps glibc's defaults", bytes);
        }
    }

    private static Glibc load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            Glibc glibc = Native.loadLibrary("c", Glibc.class);
            glibc.malloc_trim(0); // resolves both symbols' library; musl has neither in this form
            return glibc;
        } catch (UnsatisfiedLinkError e) {
            log.info("no glibc malloc tuning ({}): the C heap keeps its defaults", e.getMessage());
            return null;
        }
    }
}
