package io.seresnext.job.output;

import java.util.List;

/**
 * Everything besides the network that a run needs to continue or to be understood later: the labels, the resolved
 * configuration, how far it got, and the metrics so far. Stored as JSON next to each checkpoint and in the output.
 */
public record TrainingState(List<String> classes, String config, int completedEpochs, int iteration,
                            List<EpochMetrics> metrics) {

    public TrainingState after(EpochMetrics epoch, int newIteration) {
        List<EpochMetrics> all = new java.util.ArrayList<>(metrics);
        all.add(epoch);
        return new TrainingState(classes, config, epoch.epoch(), newIteration, List.copyOf(all));
    }
}
