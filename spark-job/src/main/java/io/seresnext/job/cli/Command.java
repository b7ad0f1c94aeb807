package io.seresnext.job.cli;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.registry.RegistryCommand;
import io.seresnext.model.GroupedConvForm;
import io.seresnext.model.ModelSpec;

/** A parsed, validated invocation. */
public sealed interface Command {

    /** {@code models [--json]}: the table of presets. */
    record ListModels(boolean json) implements Command {
    }

    /** {@code train}: image folder in, model out, on Spark. */
    record Train(JobConfig config) implements Command {
    }

    /** {@code prepare}: decode the image folder into the shard cache that training reads. */
    record Prepare(JobConfig config) implements Command {
    }

    /** {@code evaluate}: a published model ({@code model}, a Hadoop URI) scored on a labelled image folder. */
    record Evaluate(String model, JobConfig config) implements Command {
    }

    /** {@code predict}: every image under a folder scored by a published model, written as Parquet. */
    record Predict(String model, int topK, JobConfig config) implements Command {
    }

    /** {@code bench-data}: decode and load-augment images/sec on one core. */
    record BenchData(int images, int sourceWidth, int sourceHeight, int storedSize, int imageSize, int batch,
                     int passes) implements Command {
    }

    /** {@code bench-model}: time training steps (or, with {@code forwardOnly}, inference) of one model in this JVM. */
    record BenchModel(ModelSpec spec, int batch, int warmupSteps, int timedSteps, boolean gcEachStep,
                      boolean forwardOnly) implements Command {
        public GroupedConvForm form() {
            return spec.groupedConvForm();
        }
    }

    /** {@code registry --registry URI list | show VERSION | promote VERSION | rollback}. */
    record Registry(String registry, RegistryCommand.Action action, String version) implements Command {
    }
}
