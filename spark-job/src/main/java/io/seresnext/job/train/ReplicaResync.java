package io.seresnext.job.train;

import java.io.Serializable;
import java.util.Map;
import java.util.WeakHashMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Works around a dl4j-spark-parameterserver 1.0.0-M2 bug: between two fits an executor's {@code UpdatesConsumer}
 * is in bypass mode and drops every update it receives, and {@code SharedTrainingWrapper} purges the queue of
 * received updates at the end of each fit. An update a worker sends after another executor has finished its epoch
 * (or before it has started the next) never reaches that executor's replica, so across executor JVMs the replicas
 * drift apart a little more every epoch; the driver, which relays every message, applies them all.
 *
 * <p>Each epoch's loader carries the driver's parameters ({@link WorkerEpoch}); at its first step of the epoch each
 * replica takes them, before the updater applies that step. Its residual and updater state are its own and stay.
 * Cluster runs only: in local mode the executor shares the driver's JVM and drops nothing. Tested in
 * ReplicaResyncTest; accuracy in submit/bench-cluster.sh.
 */
public final class ReplicaResync extends BaseTrainingListener implements Serializable {

    /** per JVM, per replica: the last epoch it took the driver's parameters in */
    private static final Map<Model, Integer> SYNCED = new WeakHashMap<>();

    /** Runs after backprop and before the updater. */
    @Override
    public void onGradientCalculation(Model model) {
        int epoch = WorkerEpoch.current();
        synchronized (SYNCED) {
            Integer last = SYNCED.get(model);
            if (last != null && last == epoch) {
                return;
            }
            INDArray driver = WorkerEpoch.startParameters(epoch);
            if (driver == null) {
                return;
            }
            model.params().assign(driver);
            SYNCED.put(model, epoch);
        }
    }
}
