package io.seresnext.job.gpu;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;

/**
 * The GPUs Spark's resource scheduling gives an executor, as the executor's CUDA device list: Spark reports the
 * addresses its discovery script found (CUDA device ordinals on this node), and the executor's process is then
 * restricted to exactly those, so ND4J's devices 0..n-1 are the assigned GPUs in that order.
 */
public final class GpuAssignment {

    /** The Spark property that gives each executor GPUs. */
    public static final String EXECUTOR_GPUS = "spark.executor.resource.gpu.amount";

    private GpuAssignment() {
    }

    /**
     * The value of {@code CUDA_VISIBLE_DEVICES} for these assigned addresses, e.g. "2,3".
     *
     * @throws IllegalArgumentException naming the address, when one is not a device ordinal
     */
    public static String cudaVisibleDevices(List<String> addresses) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("Spark assigned this executor no GPU address");
        }
        List<String> ordinals = new ArrayList<>();
        for (String address : addresses) {
            String a = address.trim();
            if (!a.matches("\\d+")) {
                throw new IllegalArgumentException("GPU address '" + address + "' from Spark's discovery script is"
                        + " not a CUDA device ordinal (the script must print indices such as 0, 1, ...)");
            }
            if (ordinals.contains(a)) {
                throw new IllegalArgumentException("GPU address " + a + " is assigned twice: " + addresses);
            }
            ordinals.add(a);
        }
        return String.join(",", ordinals);
    }

    /** GPUs per executor as the application requests them ({@value #EXECUTOR_GPUS}); 0 for CPU executors. */
    public static int gpusPerExecutor(SparkConf conf) {
        String amount = conf.get(EXECUTOR_GPUS, "0").trim();
        try {
            return Integer.parseInt(amount);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(EXECUTOR_GPUS + " must be a whole number, got '" + amount + "'");
        }
    }

    /**
     * Gradient sharing's workers per executor: as configured, or when that is 0 (automatic), one per GPU the
     * executor is given, and 1 on CPU executors.
     */
    public static int workersPerExecutor(int configured, SparkConf conf) {
        if (configured > 0) {
            return configured;
        }
        return Math.max(1, gpusPerExecutor(conf));
    }
}
