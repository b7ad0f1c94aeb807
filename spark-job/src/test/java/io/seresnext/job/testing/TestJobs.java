package io.seresnext.job.testing;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/** Job configurations small enough for tests: the tiny preset at 16x16, a few batches, one or two epochs. */
public final class TestJobs {

    private TestJobs() {
    }

    public static Map<String, Object> small(String input, String output) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("input", input);
        o.put("output", output);
        o.put("model.preset", "seresnext11_4x8d_tiny");
        o.put("model.image-size", 16);
        o.put("data.stored-size", 18);
        o.put("data.shard-images", 20);
        o.put("train.epochs", 2);
        o.put("train.batch-size", 8);
        o.put("train.learning-rate", 0.05);
        o.put("train.log-every", 2);
        o.put("train.keep-checkpoints", 2);
        o.put("train.eval-batch-size", 16);
        o.put("training-master.parameter-averaging.averaging-frequency", 2);
        o.put("training-master.gradient-sharing.controller-address", "127.0.0.1");
        o.put("training-master.gradient-sharing.network-mask", "127.0.0.0/8");
        return o;
    }

    public static JobConfig config(Map<String, Object> overrides) {
        return JobConfigLoader.load(null, overrides);
    }
}
