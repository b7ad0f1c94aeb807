package io.seresnext.job.output;

import java.io.Serializable;

/** What one epoch did: training throughput and the validation figures. */
public record EpochMetrics(int epoch, double learningRate, long trainImages, double trainSeconds,
                           double imagesPerSecond, long valImages, double valLoss, double top1, double top5)
        implements Serializable {
}
