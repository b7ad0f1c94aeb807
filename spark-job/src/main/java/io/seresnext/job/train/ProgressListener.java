package io.seresnext.job.train;

import java.io.Serializable;
import java.time.Duration;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on every worker: a log line every N iterations with the loss, learning rate, images/sec and the ETA of
 * this worker's share of the epoch. (In local mode these lines are the driver's; on a cluster, the executors'.)
 * Progress is read from the network's iteration count, which the driver sets at each epoch start and the training
 * masters carry from one averaging round to the next; rates are timed over this listener's life (one round).
 */
public final class ProgressListener extends BaseTrainingListener implements Serializable {

    private static final Logger log = LoggerFactory.getLogger(ProgressListener.class);

    private final int epoch;
    private final int epochs;
    private final long firstIteration;
    private final long expectedIterations;
    private final int batchSize;
    private final int every;
    private final LearningRateSchedule schedule;
    private transient long start;
    private transient long timed;

    /**
     * @param firstIteration     the network's iteration count when the epoch starts
     * @param expectedIterations this worker's expected iterations in the epoch
     */
    public ProgressListener(int epoch, int epochs, long firstIteration, long expectedIterations, int batchSize,
                            int every, LearningRateSchedule schedule) {
        this.epoch = epoch;
        this.firstIteration = firstIteration;
        this.epochs = epochs;
        this.expectedIterations = Math.max(1, expectedIterations);
        this.batchSize = batchSize;
        this.every = every;
        this.schedule = schedule;
    }

    @Override
    public void iterationDone(Model model, int iteration, int modelEpoch) {
        long done = iteration - firstIteration + 1;
        if (start == 0) {
            start = System.nanoTime(); // the first step of a round pays for warm-up; rates count from its end
        } else {
            timed++;
        }
        if (done % every == 0 && timed > 0) {
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = timed * batchSize / seconds;
            long left = Math.max(0, expectedIterations - done);
            Duration eta = Duration.ofSeconds((long) (left * seconds / timed));
            log.info(String.format("epoch %d/%d iteration %d/%d (this worker) loss %.4f lr %.5f  %.1f img/s, "
                            + "epoch ETA %dm%02ds", epoch, epochs, done, expectedIterations, model.score(),
                    schedule.valueAt(iteration, modelEpoch), rate, eta.toMinutes(), eta.toSecondsPart()));
        }
    }
}
