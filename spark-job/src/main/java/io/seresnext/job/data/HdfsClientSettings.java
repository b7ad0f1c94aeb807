package io.seresnext.job.data;

import org.apache.hadoop.conf.Configuration;

/**
 * The one place where the job sets how its HDFS client behaves when the NameNode goes away for a while (a restart,
 * a failover without HA): its calls are retried for a few minutes instead of failing at once.
 *
 * <p>Why: a shard read that fails on an executor kills DL4J's prefetch thread (AsyncDataSetIterator) without ending
 * the iteration, and the training task then waits for its next batch forever: the run hangs instead of failing. So
 * a NameNode restart has to be ridden out below DL4J, by the HDFS client. Hadoop's own default gives up on the first
 * refused connection or dropped call. The price: a wrong NameNode address fails only after the same wait.
 */
public final class HdfsClientSettings {

    /** Hadoop's "pause in milliseconds, retries" (each pause randomised by Hadoop): long enough for a restart. */
    static final String RETRY_SPEC = "2000,60";

    private HdfsClientSettings() {
    }

    /**
     * Sets the retry policy on {@code conf} unless the user set it (e.g. {@code spark.hadoop.dfs.client.retry.policy
     * .enabled=false}). Takes effect for filesystems created from {@code conf} afterwards: call it before the job's
     * first HDFS access. Executors get it with the configuration the job ships to them.
     */
    public static void apply(Configuration conf) {
        setUnlessUserSet(conf, "dfs.client.retry.policy.enabled", "true");
        setUnlessUserSet(conf, "dfs.client.retry.policy.spec", RETRY_SPEC);
    }

    private static void setUnlessUserSet(Configuration conf, String key, String value) {
        String[] sources = conf.getPropertySources(key);
        boolean onlyDefaults = sources == null || java.util.Arrays.stream(sources)
                .allMatch(s -> s.endsWith("-default.xml"));
        if (onlyDefaults) {
            conf.set(key, value, HdfsClientSettings.class.getSimpleName());
        }
    }
}
