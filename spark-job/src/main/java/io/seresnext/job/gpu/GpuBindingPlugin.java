package io.seresnext.job.gpu;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each executor to the GPUs Spark's resource scheduling assigned it ({@code spark.plugins=} this class, with
 * {@code spark.executor.resource.gpu.amount} and a discovery script; see conf/spark/yarn-gpu.properties). It runs
 * when the executor starts, before any task and so before ND4J's CUDA backend starts, and sets the process's
 * CUDA_VISIBLE_DEVICES to the assigned devices. ND4J cannot be bound later: in 1.0.0-M2.1 its device restriction
 * (CudaEnvironment useDevices/banDevice) has no effect, ParallelWrapper puts worker k on device k modulo the visible
 * devices, and DL4J pins some threads to device 0; with only the assigned GPUs visible, all of that lands on them.
 * On CPU executors (no GPU assigned) it does nothing.
 */
public final class GpuBindingPlugin implements SparkPlugin {

    static final String VARIABLE = "CUDA_VISIBLE_DEVICES";

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new Executor();
    }

    /** The executor side. */
    static final class Executor implements ExecutorPlugin {

        private static final Logger log = LoggerFactory.getLogger(GpuBindingPlugin.class);

        @Override
        public void init(PluginContext ctx, Map<String, String> extraConf) {
            ResourceInformation gpus = ctx.resources().get("gpu");
            if (gpus == null) {
                log.info("executor {}: no GPU assigned, training on the CPU", ctx.executorID());
                return;
            }
            String devices = GpuAssignment.cudaVisibleDevices(List.of(gpus.addresses()));
            ProcessEnvironment.set(VARIABLE, devices);
            log.info("executor {} bound to GPU(s) [{}]: {}={} (ND4J devices 0..{})", ctx.executorID(),
                    String.join(", ", gpus.addresses()), VARIABLE, ProcessEnvironment.get(VARIABLE),
                    gpus.addresses().length - 1);
        }
    }
}
