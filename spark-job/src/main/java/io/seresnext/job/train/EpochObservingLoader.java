package io.seresnext.job.train;

import io.seresnext.job.data.BatchPlan;
import java.io.IOException;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The training loader as workers use it: tells {@link WorkerEpoch} the epoch each training batch belongs to (and,
 * when given, the driver's parameters at its start), then loads it. Keeps the data package free of training state
 * (evaluation and benchmarks load without it).
 */
final class EpochObservingLoader implements DataSetLoader {

    private final DataSetLoader loader;
    private final Broadcast<INDArray> driverParameters;

    /** @param driverParameters the driver's parameters at the start of this epoch, or null */
    EpochObservingLoader(DataSetLoader loader, Broadcast<INDArray> driverParameters) {
        this.loader = loader;
        this.driverParameters = driverParameters;
    }

    @Override
    public DataSet load(Source source) throws IOException {
        int epoch = BatchPlan.parse(source.getPath()).epoch();
        if (driverParameters == null) {
            WorkerEpoch.observe(epoch);
        } else {
            WorkerEpoch.observe(epoch, driverParameters);
        }
        return loader.load(source);
    }
}
