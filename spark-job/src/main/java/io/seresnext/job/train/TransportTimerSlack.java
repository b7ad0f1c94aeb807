package io.seresnext.job.train;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.api.java.function.Function;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around gradient sharing's message poller in DL4J (nd4j-parameter-server-node 1.0.0-M2,
 * {@code AeronUdpTransport.createSubscription}): the thread that polls the Aeron subscription loops on agrona's
 * {@code SleepingIdleStrategy(1000)}, a one-microsecond sleep that Linux's default timer slack stretches only to
 * tens of microseconds, so on the driver and on every executor it wakes all the time for the whole run, each time
 * preempting a thread of the training step (BENCHMARKS.md, "Throughput"). The interval is fixed in
 * DL4J's code, but Linux gives a new thread the timer slack of the thread that creates it, and the transport creates
 * its threads (the poller, its message pool, Aeron's media driver) on the thread that starts it. So that thread runs
 * with {@link #TRANSPORT_SLACK_NANOS} while it does: the poller then sleeps about a millisecond, at normal priority,
 * and a message waits at most that long. (Lowering the poller's priority instead starved it on busy cores and cost
 * accuracy: BENCHMARKS.md.) Threads that go on to train take the JVM's own slack back. A no-op outside Linux.
 */
public final class TransportTimerSlack {

    private static final Logger log = LoggerFactory.getLogger(TransportTimerSlack.class);

    static final long TRANSPORT_SLACK_NANOS = 1_000_000;
    /** Linux's slack for threads of the normal scheduling class, where the JVM's own cannot be read. */
    private static final long LINUX_DEFAULT_SLACK_NANOS = 50_000;
    private static final int PR_SET_TIMERSLACK = 29;
    private static final int PR_GET_TIMERSLACK = 30;

    private interface Libc extends Library {
        int prctl(int option, long arg2, long arg3, long arg4, long arg5);
    }

    private static final Libc LIBC = load();
    /** The slack of the JVM's main thread, the one every thread started before the transport has. */
    static final long JVM_SLACK_NANOS = jvmSlack();

    private TransportTimerSlack() {
    }

    /**
     * Runs {@code start} with the transport's slack on this thread, then gives the thread its own back; threads
     * that {@code start} creates keep the transport's.
     */
    public static void whileStarting(Runnable start) {
        long own = current();
        set(TRANSPORT_SLACK_NANOS);
        try {
            start.run();
        } finally {
            if (own > 0) {
                set(own);
            }
        }
    }

    /** Whether this JVM's gradient-sharing transport has not been started yet. */
    public static boolean transportNotStarted() {
        return !ModelParameterServer.getInstance().isInitialized();
    }

    /** This thread's timer slack in nanoseconds, or -1 where it cannot be read. */
    static long current() {
        return LIBC == null ? -1 : LIBC.prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    }

    static void set(long nanos) {
        if (LIBC != null && LIBC.prctl(PR_SET_TIMERSLACK, nanos, 0, 0, 0) != 0) {
            log.warn("could not set this thread's timer slack to {} ns (errno {})", nanos, Native.getLastError());
        }
    }

    /** The JVM's slack back on a thread that has the transport's. */
    static void restoreOnThisThread() {
        if (current() == TRANSPORT_SLACK_NANOS && JVM_SLACK_NANOS != TRANSPORT_SLACK_NANOS) {
            set(JVM_SLACK_NANOS);
        }
    }

    /**
     * On the executors: every batch path of an epoch passes through this on the task's thread before DL4J starts
     * the executor's transport in that task (SharedFlatMapPaths reads them all first). Until the transport exists
     * the thread takes the transport's slack; afterwards the JVM's.
     */
    public static final class OnTaskThread implements Function<String, String> {

        private static final long serialVersionUID = 1L;

        @Override
        public String call(String path) {
            if (!transportNotStarted()) {
                restoreOnThisThread();
            } else if (current() != TRANSPORT_SLACK_NANOS) {
                set(TRANSPORT_SLACK_NANOS);
            }
            return path;
        }
    }

    /** On the threads that train (the task's own, or DL4J's workers it starts): the JVM's slack at each step. */
    public static final class OnWorkers extends BaseTrainingListener implements Serializable {

        private static final long serialVersionUID = 1L;

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            restoreOnThisThread();
        }
    }

    private static long jvmSlack() {
        try {
            // the thread group leader's, i.e. the main thread's
            return Long.parseLong(Files.readString(Path.of("/proc/self/timerslack_ns")).strip());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return LINUX_DEFAULT_SLACK_NANOS;
        }
    }

    private static Libc load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.loadLibrary("c", Libc.class);
        } catch (UnsatisfiedLinkError e) {
            log.info("no prctl ({}): gradient sharing's message poller keeps waking every 50 microseconds",
                    e.getMessage());
            return null;
        }
    }
}
