package io.seresnext.job.data;

import java.io.Serializable;
import java.util.List;

/** The contents of a built shard cache (its {@code _MANIFEST.json}). */
public record ShardManifest(String directory, String fingerprint, String source, List<String> classes,
                            int storedSize, long skippedFiles, List<String> skippedExamples, List<Shard> shards)
        implements Serializable {

    public record Shard(String split, String name, int count) implements Serializable {
    }

    public List<Shard> shards(String split) {
        return shards.stream().filter(s -> s.split().equals(split)).toList();
    }

    public long count(String split) {
        return shards(split).stream().mapToLong(Shard::count).sum();
    }
}
