package io.seresnext.job.train;

import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The epoch this JVM's workers are training, as read from the batches they load, and the driver's parameters at
 * its start. Gradient sharing keeps its worker networks and their listeners for the life of the executor
 * (SharedTrainingWrapper attaches the first fit's listeners only), so a listener cannot be told the epoch at
 * construction; the batch descriptors carry it, and each epoch's loader carries the driver's parameters.
 */
public final class WorkerEpoch {

    private static volatile int current = 1;
    private static volatile Broadcast<INDArray> startParameters;
    private static volatile int startParametersEpoch;

    private WorkerEpoch() {
    }

    /** Called by {@link EpochObservingLoader} for every training batch (epochs count from 1). */
    public static void observe(int epoch) {
        if (epoch > 0) {
            current = epoch;
        }
    }

    /** Called by {@link EpochObservingLoader}: the driver's parameters when {@code epoch} started. */
    static synchronized void observe(int epoch, Broadcast<INDArray> driverParameters) {
        observe(epoch);
        if (epoch > 0 && startParametersEpoch != epoch) {
            startParameters = driverParameters;
            startParametersEpoch = epoch;
        }
    }

    public static int current() {
        return current;
    }

    /** The driver's parameters at the start of {@code epoch}, or null when this JVM was not given them. */
    static synchronized INDArray startParameters(int epoch) {
        return startParametersEpoch == epoch && startParameters != null ? startParameters.value() : null;
    }
}
