package io.seresnext.job.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.AsyncDataSetIterator;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around two DL4J bugs that turn a batch that cannot be loaded (a shard read against a NameNode that stays
 * away) into a hang or a silently shortened epoch (docs/upstream-workarounds.md):
 * <ul>
 *   <li>DL4J's prefetching iterators ({@code AsyncDataSetIterator}, {@code AsyncMultiDataSetIterator}, nd4j-api
 *   1.0.0-M2.1) keep a failed load's exception and end their prefetch thread without ending the queue: a training
 *   task already waiting for its next batch waits forever. Both masters' workers prefetch this way.</li>
 *   <li>Gradient sharing's {@code SharedTrainingWrapper} (dl4j-spark-parameterserver 1.0.0-M2) logs an exception
 *   out of its worker's fit as a warning and returns a normal result: the epoch ends early, unnoticed.</li>
 * </ul>
 * This loader wraps the job's. When a load fails on a prefetch thread, a watchdog interrupts the task thread if it
 * is blocked in one of DL4J's prefetching {@code hasNext} calls; and the task that the failed batch belongs to fails
 * at its end with the load's exception, whatever DL4J made of it, so Spark retries it or stops the job. Both work
 * because Spark deserializes a task's function, this loader with it, on the thread that runs the task, with its
 * {@link TaskContext} set, and DL4J starts its prefetch thread from there (an inheritable thread-local carries the
 * task thread across).
 */
final class PrefetchFailureGuard implements DataSetLoader {

    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(PrefetchFailureGuard.class);
    private static final InheritableThreadLocal<Thread> TASK_THREAD = new InheritableThreadLocal<>();
    private static final Set<String> PREFETCHING = Set.of(AsyncDataSetIterator.class.getName(),
            AsyncMultiDataSetIterator.class.getName());
    /** How long the watchdog looks for the task thread blocked on the lost batch. */
    private static final long WATCH_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final DataSetLoader loader;
    private transient volatile Throwable failure;
    private transient volatile String failedBatch;

    PrefetchFailureGuard(DataSetLoader loader) {
        this.loader = loader;
    }

    @Override
    public DataSet load(Source source) throws IOException {
        try {
            return loader.load(source);
        } catch (IOException | RuntimeException | Error e) {
            if (failure == null) {
                failedBatch = source.getPath();
                failure = e;
            }
            wakeWaitingTask(source.getPath(), e);
            throw e;
        }
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TASK_THREAD.set(Thread.currentThread());
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener(new FailTaskOnLoadFailure(this));
        }
    }

    /** Throws the task's first load failure when the task ends: Spark then fails the task whatever DL4J returned. */
    private record FailTaskOnLoadFailure(PrefetchFailureGuard guard) implements TaskCompletionListener {
        @Override
        public void onTaskCompletion(TaskContext context) {
            Throwable cause = guard.failure;
            if (cause == null) {
                return;
            }
            String message = "cannot load training batch " + guard.failedBatch + ": " + cause.getMessage();
            throw cause instanceof IOException io ? new UncheckedIOException(message, io)
                    : new IllegalStateException(message, cause);
        }
    }

    private static void wakeWaitingTask(String batch, Throwable cause) {
        Thread task = TASK_THREAD.get();
        Thread failed = Thread.currentThread();
        if (task == null || task == failed) {
            return; // loading on the task's own thread: the exception reaches the task
        }
        Thread watchdog = new Thread(() -> {
            long deadline = System.nanoTime() + WATCH_NANOS;
            try {
                while (System.nanoTime() < deadline) {
                    if (!failed.isAlive() && waitingForPrefetch(task)) {
                        log.error("cannot load training batch {} ({}); DL4J's prefetch thread ended without telling "
                                + "the training task, which would wait for it forever: interrupting {} so that the "
                                + "task fails", batch, cause.toString(), task.getName());
                        task.interrupt();
                        return;
                    }
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "prefetch-failure-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Whether {@code thread} is blocked inside a prefetching iterator's {@code hasNext}, waiting for a batch. */
    private static boolean waitingForPrefetch(Thread thread) {
        if (thread.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (PREFETCHING.contains(frame.getClassName()) && frame.getMethodName().equals("hasNext")) {
                return true;
            }
        }
        return false;
    }
}
