package io.seresnext.job.output;

import java.io.Serializable;

/**
 * What one epoch did: training throughput and the validation figures.
 *
 * @param trainSeconds the fit alone, which {@code imagesPerSecond} is measured over
 * @param trainLoss    DL4J's score after the epoch's fit (the workers' last minibatch loss, regularisation
 *                     included); NaN where the training master reports none. Metrics written before it was recorded
 *                     read back as 0
 * @param epochSeconds the whole epoch on the driver: fit, batch-norm recalibration and validation
 */
public record EpochMetrics(int epoch, double learningRate, long trainImages, double trainSeconds,
                           double imagesPerSecond, long valImages, double valLoss, double top1, double top5,
                           double trainLoss, double epochSeconds)
        implements Serializable {
}
