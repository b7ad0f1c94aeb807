package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.MiniYarn;
import io.seresnext.job.testing.SparkDistribution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private static final Path CLUSTER_JAR = Path.of("target/spark-job-cluster.jar");
    private static final Path LAUNCHER = Path.of("../submit/yarn.sh").toAbsolutePath().normalize();

    private MiniHdfs hdfs;
    private MiniYarn yarn;
    private SparkDistribution spark;
    private String input;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isRegularFile(CLUSTER_JAR), "the cluster jar is built by `package`: " + CLUSTER_JAR);
        hdfs = new MiniHdfs();
        input = hdfs.uri("/data/shapes");
        DemoDataset.write(input, hdfs.fileSystem().getConf(), 3, 16, 6, 1);
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
                "seresnext.executor.jvm=-Dorg.bytedeco.javacpp.maxbytes=2G -Dorg.bytedeco.javacpp.maxphysicalbytes=4G",
                "seresnext.driver.jvm=-Dorg.bytedeco.javacpp.maxbytes=1G -Dorg.bytedeco.javacpp.maxphysicalbytes=3G",
                ""));
        return file;
    }

    @Test
    void clusterDeployModeTrainsAndPublishesOnHdfs() throws Exception {
        String output = hdfs.uri("/models/yarn");
        List<String> command = new ArrayList<>(List.of("bash", LAUNCHER.toString(),
                "train", "--input", input, "--output", output, "--training-master", "parameter-averaging",
                "--preset", "seresnext11_4x8d_tiny", "--epochs", "2", "--batch-size", "8",
                "--set", "model.image-size=16", "--set", "data.stored-size=18", "--set", "data.shard-images=20",
                "--set", "train.learning-rate=0.05", "--set", "train.eval-batch-size=16",
                "--set", "training-master.workers=2",
                "--set", "training-master.parameter-averaging.averaging-frequency=2"));
        Path log = spark.home().resolve("submit-yarn.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(spark.environment());
        pb.environment().put("HADOOP_CONF_DIR", yarn.confDir().toString());
        pb.environment().put("DEPLOY_MODE", "cluster");
        pb.environment().put("SPARK_PROPERTIES", testProperties().toString());
        Process submit = pb.start();
        if (!submit.waitFor(600, TimeUnit.SECONDS)) {
            submit.destroyForcibly();
            throw new IllegalStateException("spark-submit did not return in 600 s; see " + log);
        }
        List<String> lines = Files.readAllLines(log);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        assertEquals(0, submit.exitValue(), "spark-submit exit status; log tail:\n" + tail);

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
