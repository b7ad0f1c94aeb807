package io.seresnext.job.train;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * Works around dl4j-spark-parameterserver 1.0.0-M2 gradient sharing hanging forever when an executor is lost: its
 * parameter-server mesh neither drops a dead node (the driver keeps relaying updates to it, retrying without a
 * timeout until every relay thread is stuck) nor admits a replacement (a new executor's handshake waits on those
 * threads), so the epoch's Spark job never ends. While armed, the guard cancels the epoch's job group as soon as
 * Spark reports an executor removed, and remembers which; the trainer then stops the run, pointing at the last
 * checkpoint. Tested in StandaloneClusterIT (an executor JVM killed in a gradient-sharing epoch).
 */
public final class ExecutorLossGuard extends SparkListener {

    private final SparkContext sc;
    private volatile String armedGroup;
    private final AtomicReference<String> lost = new AtomicReference<>();

    public ExecutorLossGuard(SparkContext sc) {
        this.sc = sc;
    }

    /** Watches the Spark jobs of this job group (which must interrupt its tasks on cancel). */
    public void arm(String jobGroup) {
        armedGroup = jobGroup;
    }

    public void disarm() {
        armedGroup = null;
    }

    /** The executor lost while armed, with Spark's reason, if any was. */
    public Optional<String> lostExecutor() {
        return Optional.ofNullable(lost.get());
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        String group = armedGroup;
        if (group != null && lost.compareAndSet(null, removed.executorId() + " (" + removed.reason() + ")")) {
            sc.cancelJobGroup(group);
        }
    }
}
