package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.ClusterRuns;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.MiniYarn;
import io.seresnext.job.testing.SparkDistribution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The cluster jar submitted with submit/yarn.sh in cluster deploy mode to a real YARN cluster (MiniYARNCluster:
 * the driver runs in the application master's container, the executors in containers of their own, each a JVM),
 * input and output on HDFS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class YarnClusterIT {

    private static final Path LAUNCHER = Path.of("../submit/yarn.sh").toAbsolutePath().normalize();

    private MiniHdfs hdfs;
    private MiniYarn yarn;
    private SparkDistribution spark;
    private String input;

    @BeforeAll
    void start() throws Exception {
        ClusterRuns.requireClusterJar();
        hdfs = new MiniHdfs();
        input = ClusterRuns.writeShapesDataset(hdfs);
        yarn = new MiniYarn(hdfs, "yarn-cluster-it");
        spark = new SparkDistribution();
    }

    @AfterAll
    void stop() {
        if (yarn != null) {
            yarn.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** Settings for two 1-core executors on this small machine, layered over conf/spark/yarn.properties. */
    private Path testProperties() throws Exception {
        String javaHome = System.getProperty("java.home");
        Path file = spark.home().resolve("test-yarn.properties");
        Files.writeString(file, String.join("\n",
                // the distribution's jars are on this (the only) node already: nothing to upload
                "spark.yarn.jars=local:" + spark.jars() + "/*",
                "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome, "spark.executorEnv.JAVA_HOME=" + javaHome,
                "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
                "spark.executor.instances=2", "spark.executor.cores=1", "spark.executor.memory=1g",
                "spark.executor.memoryOverhead=1g", "spark.driver.memory=1g", "spark.driver.memoryOverhead=512m",
                "spark.ui.enabled=false", "spark.executorEnv.OMP_NUM_THREADS=1",
                "spark.yarn.appMasterEnv.OMP_NUM_THREADS=1",
                String.join("\n", ClusterRuns.MEMORY_CAPS), ""));
        return file;
    }

    @Test
    void clusterDeployModeTrainsAndPublishesOnHdfs() throws Exception {
        String output = hdfs.uri("/models/yarn");
        Path log = spark.home().resolve("submit-yarn.log");
        Map<String, String> env = new HashMap<>(spark.environment());
        env.put("HADOOP_CONF_DIR", yarn.confDir().toString());
        env.put("DEPLOY_MODE", "cluster");
        env.put("SPARK_PROPERTIES", testProperties().toString());
        int status = ClusterRuns.await(ClusterRuns.start(LAUNCHER,
                ClusterRuns.tinyJob(input, output, "parameter-averaging"), env, log), log);
        String tail = ClusterRuns.tail(log, 40);
        assertEquals(0, status, "spark-submit exit status; log tail:\n" + tail);

        List<ApplicationReport> apps = yarn.applications();
        assertEquals(1, apps.size(), apps.toString());
        assertEquals(FinalApplicationStatus.SUCCEEDED, apps.get(0).getFinalApplicationStatus(),
                apps.get(0).getDiagnostics());

        FileSystem fs = hdfs.fileSystem();
        for (String f : List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.METRICS, ModelStore.SUCCESS)) {
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(output, f)), output + "/" + f);
        }
        new ModelStore(output, fs.getConf()).readModel(new org.apache.hadoop.fs.Path(output, ModelStore.MODEL));

        // the driver ran in the application master's container (the first), not in spark-submit's JVM
        List<Path> containerLogs = yarn.containerLogs();
        String driverOut = Files.readString(containerLogs.stream()
                .filter(p -> p.toString().contains("_000001") && p.endsWith("stdout")).findFirst().orElseThrow());
        assertTrue(driverOut.contains("Final validation accuracy after epoch 2"), driverOut);
        long containers = containerLogs.stream().map(Path::getParent).distinct().count();
        assertTrue(containers >= 3, "an application master and two executor containers: " + containerLogs);
    }
}
