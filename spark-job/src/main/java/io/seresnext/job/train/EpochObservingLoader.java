package io.seresnext.job.train;

import io.seresnext.job.data.BatchPlan;
import java.io.IOException;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The training loader as workers use it: tells {@link WorkerEpoch} the epoch each training batch belongs to, then
 * loads it. Keeps the data package free of training state (evaluation and benchmarks load without it).
 */
final class EpochObservingLoader implements DataSetLoader {

    private final DataSetLoader loader;

    EpochObservingLoader(DataSetLoader loader) {
        this.loader = loader;
    }

    @Override
    public DataSet load(Source source) throws IOException {
        WorkerEpoch.observe(BatchPlan.parse(source.getPath()).epoch());
        return loader.load(source);
    }
}
