package io.seresnext.job.train;

import java.io.Serializable;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs on every worker: a log line every N iterations with the data loss (cross-entropy without the weight-decay
 * penalty, which DL4J's score includes and which dwarfs it early on), learning rate, images/sec and the ETA of
 * this worker's share of the epoch. (In local mode these lines are the driver's; on a cluster, the executors'.)
 * The epoch comes from the batches being loaded ({@link WorkerEpoch}) and the progress from the network's
 * iteration count, which the training masters keep in step with the epoch plan; rates are timed per epoch.
 */
public final class ProgressListener extends BaseTrainingListener implements Serializable {

    private static final Logger log = LoggerFactory.getLogger(ProgressListener.class);

    private final int epochs;
    private final long iterationsPerEpoch;
    private final int batchSize;
    private final int every;
    private final LearningRateSchedule schedule;
    /** per worker replica (replicas in one executor share this listener): its epoch, start time, timed steps */
    private transient Map<Model, long[]> replicas;

    /** @param iterationsPerEpoch one worker's iterations in an epoch */
    public ProgressListener(int epochs, long iterationsPerEpoch, int batchSize, int every,
                            LearningRateSchedule schedule) {
        this.epochs = epochs;
        this.iterationsPerEpoch = Math.max(1, iterationsPerEpoch);
        this.batchSize = batchSize;
        this.every = every;
        this.schedule = schedule;
    }

    @Override
    public synchronized void iterationDone(Model model, int iteration, int modelEpoch) {
        if (replicas == null) {
            replicas = new IdentityHashMap<>();
        }
        int epoch = WorkerEpoch.current();
        long[] r = replicas.computeIfAbsent(model, m -> new long[3]);
        if (r[0] != epoch) {
            r[0] = epoch;
            r[1] = System.nanoTime(); // the first step pays for warm-up; rates count from its end
            r[2] = 0;
            return;
        }
        long timed = ++r[2];
        long done = iteration - (epoch - 1) * iterationsPerEpoch + 1;
        if (done % every == 0) {
            double seconds = (System.nanoTime() - r[1]) / 1e9;
            double rate = timed * batchSize / seconds;
            long left = Math.max(0, iterationsPerEpoch - done);
            Duration eta = Duration.ofSeconds((long) (left * seconds / timed));
            String who = replicas.size() > 1 ? "replica " + System.identityHashCode(model) : "this worker";
            log.info(String.format("epoch %d/%d iteration %d/%d (%s) loss %.4f lr %.5f  %.1f img/s, "
                            + "epoch ETA %dm%02ds", epoch, epochs, done, iterationsPerEpoch, who, dataLoss(model),
                    schedule.valueAt(iteration, modelEpoch), rate, eta.toMinutes(), eta.toSecondsPart()));
        }
    }

    /** The last minibatch's loss without the regularisation term. */
    static double dataLoss(Model model) {
        double penalty = model instanceof ComputationGraph g ? g.calcRegularizationScore(true) : 0;
        return model.score() - penalty;
    }
}
