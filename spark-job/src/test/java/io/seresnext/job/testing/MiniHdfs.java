package io.seresnext.job.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real in-process HDFS (NameNode and one DataNode) for a test class. */
public final class MiniHdfs implements AutoCloseable {

    private final MiniDFSCluster cluster;

    public MiniHdfs() throws IOException {
        Path base = Files.createTempDirectory("minidfs");
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        // closing a file waits for the DataNode's block report, polling from 400 ms: most small files wait that long
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
        // and doubles each retry: 5 (the default) give up after 0.3 s, too soon on a loaded machine; 11 wait 20 s
        conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 11);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
    }

    /** hdfs://localhost:PORT + path */
    public String uri(String path) {
        return cluster.getURI().toString() + path;
    }

    public FileSystem fileSystem() throws IOException {
        return cluster.getFileSystem();
    }

    @Override
    public void close() {
        cluster.shutdown(true);
    }
}
