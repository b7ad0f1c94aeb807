package io.seresnext.job.train;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around gradient sharing's message poller in DL4J (nd4j-parameter-server-node 1.0.0-M2,
 * {@code AeronUdpTransport.createSubscription}): the thread that polls the Aeron subscription loops on agrona's
 * {@code SleepingIdleStrategy(1000)}, a one-microsecond sleep. Linux's timer slack stretches each sleep to about
 * 50 microseconds, so the thread wakes tens of thousands of times a second for the whole run, on the driver and on
 * every executor, and each wake-up preempts a thread of the training step; with every core busy in the step, the
 * step's OpenMP threads then wait on each other (BENCHMARKS.md, "The job against the step"). The poller's interval
 * is fixed in DL4J's code, so its pool's threads ({@value #POOL_THREAD_NAME}) get the lowest CPU priority instead,
 * nice 19: they still run whenever a core is free and get a small share when none is, so messages keep arriving,
 * but the step keeps its cores. A no-op outside Linux.
 */
public final class AeronPollerPriority {

    private static final Logger log = LoggerFactory.getLogger(AeronPollerPriority.class);

    /** The Java name of the transport pool's threads; Linux keeps its first 15 bytes as the thread's name. */
    static final String POOL_THREAD_NAME = "MessagesExecutorService thread";
    static final String LINUX_THREAD_NAME = POOL_THREAD_NAME.substring(0, 15);
    static final int LOWEST_PRIORITY = 19;
    private static final int PRIO_PROCESS = 0; // with a thread id: that thread alone (Linux)

    private interface Libc extends Library {
        int setpriority(int which, int who, int prio);
    }

    private static final Libc LIBC = load();

    private AeronPollerPriority() {
    }

    /**
     * Gives every thread of this JVM's Aeron transport pool the lowest CPU priority.
     *
     * @return how many threads it lowered (those already at the lowest priority are not counted)
     */
    public static synchronized int lowerInThisJvm() {
        if (LIBC == null) {
            return 0;
        }
        int lowered = 0;
        for (int tid : poolThreads()) {
            OptionalInt nice = niceness(tid);
            if (nice.isPresent() && nice.getAsInt() < LOWEST_PRIORITY) {
                if (LIBC.setpriority(PRIO_PROCESS, tid, LOWEST_PRIORITY) == 0) {
                    lowered++;
                } else {
                    log.warn("could not lower the CPU priority of gradient sharing's message thread {} (errno {}): "
                            + "it keeps waking up in the training step's time", tid, Native.getLastError());
                }
            }
        }
        if (lowered > 0) {
            log.info("gradient sharing: {} Aeron message thread(s) of this JVM now run at nice {}, below the "
                    + "training step", lowered, LOWEST_PRIORITY);
        }
        return lowered;
    }

    /** Linux thread ids of this JVM's threads that carry the transport pool's name. */
    static List<Integer> poolThreads() {
        List<Integer> found = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(LINUX_THREAD_NAME)) {
                        found.add(Integer.parseInt(task.getFileName().toString()));
                    }
                } catch (NoSuchFileException ended) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** A thread's nice value ({@code /proc/self/task/TID/stat}, field 19), empty when it has ended. */
    static OptionalInt niceness(int tid) {
        try {
            String stat = Files.readString(Path.of("/proc/self/task", String.valueOf(tid), "stat"));
            // the name (field 2) is in parentheses and may hold spaces: count from the last parenthesis
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalInt.of(Integer.parseInt(fields[19 - 3]));
        } catch (NoSuchFileException ended) {
            return OptionalInt.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * On the workers: lowers the pool's threads at the first step of each epoch in this JVM (the transport starts at
     * the first fit on an executor; checking every epoch covers a restart).
     */
    public static final class OnWorkers extends BaseTrainingListener implements Serializable {

        private static final long serialVersionUID = 1L;
        private static final AtomicInteger CHECKED_EPOCH = new AtomicInteger();

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            int current = WorkerEpoch.current();
            if (CHECKED_EPOCH.getAndSet(current) != current) {
                lowerInThisJvm();
            }
        }
    }

    /** On the driver: its transport (the mesh's root) starts before the first training job. */
    public static final class OnDriver extends SparkListener {
        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            lowerInThisJvm();
        }
    }

    private static Libc load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.loadLibrary("c", Libc.class);
        } catch (UnsatisfiedLinkError e) {
            log.info("no setpriority ({}): gradient sharing's message threads keep their priority", e.getMessage());
            return null;
        }
    }
}
