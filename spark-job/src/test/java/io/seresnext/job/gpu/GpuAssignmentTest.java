package io.seresnext.job.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** From Spark's GPU addresses to the executor's CUDA devices, and gradient sharing's workers per executor. */
class GpuAssignmentTest {

    @Test
    void assignedAddressesBecomeTheVisibleDevicesInOrder() {
        assertEquals("2,3", GpuAssignment.cudaVisibleDevices(List.of("2", "3")));
        assertEquals("0", GpuAssignment.cudaVisibleDevices(List.of(" 0 ")));
    }

    @Test
    void addressesThatAreNotDeviceOrdinalsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuAssignment.cudaVisibleDevices(List.of("0", "GPU-5c3e")));
        assertTrue(e.getMessage().contains("GPU-5c3e"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GpuAssignment.cudaVisibleDevices(List.of("1", "1")));
        assertThrows(IllegalArgumentException.class, () -> GpuAssignment.cudaVisibleDevices(List.of()));
    }

    @Test
    void gradientSharingRunsOneWorkerPerGpuUnlessConfigured() {
        SparkConf gpus = new SparkConf(false).set(GpuAssignment.EXECUTOR_GPUS, "4");
        SparkConf cpu = new SparkConf(false);
        assertEquals(4, GpuAssignment.workersPerExecutor(0, gpus));
        assertEquals(1, GpuAssignment.workersPerExecutor(0, cpu));
        assertEquals(2, GpuAssignment.workersPerExecutor(2, gpus));
        assertThrows(IllegalArgumentException.class,
                () -> GpuAssignment.gpusPerExecutor(new SparkConf(false).set(GpuAssignment.EXECUTOR_GPUS, "0.5")));
    }

    @Test
    void theProcessEnvironmentThatCudaReadsIsSet() {
        // through libc, as the CUDA runtime reads it: Java's own System.getenv keeps the start-up copy
        ProcessEnvironment.set("SERESNEXT_TEST_DEVICES", "2,3");
        assertEquals("2,3", ProcessEnvironment.get("SERESNEXT_TEST_DEVICES"));
    }
}
