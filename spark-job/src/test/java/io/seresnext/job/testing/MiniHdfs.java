package io.seresnext.job.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real in-process HDFS (a NameNode and one DataNode, or several with replication) for a test class. */
public final class MiniHdfs implements AutoCloseable {

    private final MiniDFSCluster cluster;

    public MiniHdfs() throws IOException {
        this(1, 1);
    }

    /** {@code dataNodes} DataNodes, each new block written {@code replication} times. */
    public MiniHdfs(int dataNodes, int replication) throws IOException {
        Path base = Files.createTempDirectory("minidfs");
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        // closing a file waits for the DataNode's block report, polling from 400 ms: most small files wait that long
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
        // and doubles each retry: 5 (the default) give up after 0.3 s, too soon on a loaded machine; 11 wait 20 s
        conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 11);
        conf.setInt("dfs.replication", replication);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(dataNodes).build();
        cluster.waitActive();
    }

    /** hdfs://localhost:PORT + path */
    public String uri(String path) {
        return cluster.getURI().toString() + path;
    }

    public FileSystem fileSystem() throws IOException {
        return cluster.getFileSystem();
    }

    /**
     * A client configuration whose filesystems are the test's own: Hadoop shares one client per NameNode, made with
     * the settings of whoever asked first, so a test of the job's client settings must not ask before the job.
     */
    public Configuration unsharedClientConfiguration() {
        Configuration conf = new Configuration(cluster.getConfiguration(0));
        conf.setBoolean("fs.hdfs.impl.disable.cache", true);
        return conf;
    }

    /** The DataNodes running now. */
    public int runningDataNodes() {
        return cluster.getDataNodes().size();
    }

    /** The address ("host:port") DataNode {@code i} takes blocks on, as block locations name it. */
    public String dataNodeAddress(int i) {
        return cluster.getDataNodes().get(i).getDatanodeId().getXferAddr();
    }

    /** Stops DataNode {@code i} (its process gone; the NameNode learns it only when heartbeats stop). */
    public void stopDataNode(int i) {
        if (cluster.stopDataNode(i) == null) {
            throw new IllegalStateException("no DataNode " + i);
        }
    }

    /** Stops the NameNode and starts it again on the same port; with {@code waitActive}, returns once it serves. */
    public void restartNameNode(boolean waitActive) throws IOException {
        cluster.restartNameNode(waitActive);
    }

    @Override
    public void close() {
        cluster.shutdown(true);
    }
}
