package io.seresnext.job.data;

import org.apache.hadoop.conf.Configuration;

/**
 * The one place where the job sets how its HDFS client behaves when the NameNode goes away for a while (a restart,
 * a failover without HA): its calls are retried for a few minutes instead of failing at once.
 *
 * <p>Why: Hadoop's own default gives up on the first refused connection or dropped call, so a NameNode restart would
 * fail the shard reads of every running training task (which fail the run: see train.PrefetchFailureGuard). The
 * price: a wrong NameNode address fails only after the same wait.
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
