package io.seresnext.job.train;

/**
 * The epoch this JVM's workers are training, as read from the batches they load. Gradient sharing keeps its
 * worker networks and their listeners for the life of the executor (SharedTrainingWrapper attaches the first
 * fit's listeners only), so a listener cannot be told the epoch at construction; the batch descriptors carry it.
 */
public final class WorkerEpoch {

    private static volatile int current = 1;

    private WorkerEpoch() {
    }

    /** Called by {@link EpochObservingLoader} for every training batch (epochs count from 1). */
    public static void observe(int epoch) {
        if (epoch > 0) {
            current = epoch;
        }
    }

    public static int current() {
        return current;
    }
}
