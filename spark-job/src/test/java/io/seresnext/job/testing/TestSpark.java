package io.seresnext.job.testing;

import io.seresnext.job.JobKryoRegistrator;
import org.apache.spark.sql.SparkSession;

/** Real Spark in local mode with two worker threads, kept on loopback. */
public final class TestSpark {

    private TestSpark() {
    }

    public static SparkSession start() {
        return builder()
                // an unreachable NameNode must fail fast, not after minutes of retries
                .config("spark.hadoop.ipc.client.connect.max.retries", "0")
                .config("spark.hadoop.ipc.client.connect.max.retries.on.timeouts", "0")
                .config("spark.hadoop.dfs.client.retry.policy.enabled", "false")
                .getOrCreate();
    }

    /** As {@link #start()}, with the HDFS client's retries as a cluster's driver has them (a NameNode may come back). */
    public static SparkSession startWithHadoopRetries() {
        return builder().getOrCreate();
    }

    private static SparkSession.Builder builder() {
        return SparkSession.builder()
                .master("local[2]")
                .appName("seresnext-test")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", JobKryoRegistrator.class.getName());
    }
}
