package io.seresnext.job.report;

import io.seresnext.job.gpu.GpuAssignment;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where and when a run ran, as a report shows it.
 *
 * @param executors the executors registered when the run ended (the driver not counted); 0 in local mode, where the
 *                  driver runs the tasks
 * @param cores     Spark's default parallelism: the executors' cores together (local mode: the driver's threads)
 */
public record RunEnvironment(String master, String applicationId, int executors, int cores, String coresPerExecutor,
                             int gpusPerExecutor, String sparkVersion, String dl4jVersion, String nd4jBackend,
                             String javaVersion, Instant started, Instant finished) {

    public static RunEnvironment of(SparkContext sc, Instant started, Instant finished) {
        int registered = sc.getExecutorMemoryStatus().size() - 1; // it lists the driver too
        return new RunEnvironment(sc.master(), sc.applicationId(), sc.isLocal() ? 0 : Math.max(registered, 0),
                sc.defaultParallelism(),
                sc.isLocal() ? "none (local mode)" : sc.getConf().get("spark.executor.cores", "Spark's default"),
                GpuAssignment.gpusPerExecutor(sc.getConf()), sc.version(), installedDl4jVersion(),
                Nd4j.getBackend().getClass().getSimpleName(), System.getProperty("java.version"), started, finished);
    }

    /** The rows of the environment table, in display order. */
    public Map<String, String> environmentRows() {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("Spark master", master);
        rows.put("Application", applicationId);
        rows.put("Executors", executors == 0 ? "none (local mode: the driver runs the tasks)"
                : Integer.toString(executors));
        rows.put("Cores (all executors)", Integer.toString(cores));
        rows.put("Cores per executor", coresPerExecutor);
        rows.put("GPUs per executor", Integer.toString(gpusPerExecutor));
        rows.put("Spark", sparkVersion);
        rows.put("DL4J", dl4jVersion);
        rows.put("ND4J backend", nd4jBackend);
        rows.put("Java", javaVersion);
        return rows;
    }

    /** The rows of the timings table. */
    public Map<String, String> timingRows() {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("Started", started.toString());
        rows.put("Finished", finished.toString());
        Duration d = Duration.between(started, finished);
        rows.put("Duration", String.format("%dh %02dm %02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart()));
        return rows;
    }

    /** From the Maven metadata DL4J's jar carries (kept in the cluster jar), as its manifest has no version. */
    static String installedDl4jVersion() {
        try (InputStream in = RunEnvironment.class.getResourceAsStream(
                "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
