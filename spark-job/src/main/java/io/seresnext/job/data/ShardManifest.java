package io.seresnext.job.data;

import java.io.Serializable;
import java.util.List;

/** The contents of a built shard cache (its {@code _MANIFEST.json}). */
public record ShardManifest(String directory, String fingerprint, String source, List<String> classes,
                            int storedSize, long skippedFiles, List<String> skippedExamples, List<Shard> shards)
        implements Serializable {

    /**
     * One shard file: its records, its length in bytes and the CRC32C of its bytes (8 hex digits), computed while
     * it was written.
     */
    public record Shard(String split, String name, int count, long bytes, String crc32c) implements Serializable {
    }

    public List<Shard> shards(String split) {
        return shards.stream().filter(s -> s.split().equals(split)).toList();
    }

    public long count(String split) {
        return shards(split).stream().mapToLong(Shard::count).sum();
    }
}
