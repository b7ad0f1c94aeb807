package io.seresnext.job.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real YARN cluster in this JVM (a ResourceManager and one NodeManager, whose containers are separate JVMs), its
 * default filesystem a {@link MiniHdfs}, and the configuration directory spark-submit reads ({@code
 * HADOOP_CONF_DIR}).
 */
public final class MiniYarn implements AutoCloseable {

    private final MiniYARNCluster cluster;
    private final Path confDir;

    public MiniYarn(MiniHdfs hdfs, String name) throws IOException, InterruptedException {
        YarnConfiguration conf = new YarnConfiguration();
        conf.set("fs.defaultFS", hdfs.uri(""));
        // containers of a few hundred MB: this machine is small, and ND4J's off-heap memory is not YARN's concern here
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, 8192);
        conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 8192); // (a MiniYARNCluster's NM ignores NM_PMEM_MB)
        conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        // one queue (no capacity-scheduler.xml on this class path); by default an application master may take
        // only 10 % of the cluster, and the driver alone is more here
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        // a nearly full build disk must not mark the only NodeManager unhealthy
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.9f);
        cluster = new MiniYARNCluster(name, 1, 1, 1);
        cluster.init(conf);
        cluster.start();
        waitForResourceManagerAddress();
        confDir = Files.createTempDirectory("hadoop-conf");
        for (String site : List.of("core-site.xml", "yarn-site.xml")) {
            try (OutputStream out = Files.newOutputStream(confDir.resolve(site))) {
                cluster.getConfig().writeXml(out);
            }
        }
    }

    /** The ResourceManager binds to port 0 and publishes the real port in its configuration once it is up. */
    private void waitForResourceManagerAddress() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0")
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
    }

    /** For spark-submit: HADOOP_CONF_DIR. */
    public Path confDir() {
        return confDir;
    }

    public Configuration config() {
        return cluster.getConfig();
    }

    /** Reports of every application the ResourceManager has seen. */
    public List<ApplicationReport> applications() throws Exception {
        try (YarnClient client = YarnClient.createYarnClient()) {
            client.init(cluster.getConfig());
            client.start();
            return client.getApplications();
        }
    }

    /** The log files ({@code stdout}, {@code stderr}) of every container the NodeManager has run. */
    public List<Path> containerLogs() throws IOException {
        List<Path> logs = new java.util.ArrayList<>();
        for (String dir : cluster.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
            try (Stream<Path> files = Files.walk(Path.of(dir))) {
                files.filter(f -> f.getFileName().toString().matches("stdout|stderr"))
                        .filter(f -> f.toString().contains("container_")).forEach(logs::add);
            }
        }
        return logs.stream().sorted().toList();
    }

    @Override
    public void close() {
        cluster.stop();
    }
}
