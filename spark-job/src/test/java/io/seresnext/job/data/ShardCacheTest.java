package io.seresnext.job.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.TrainJob;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.LogCapture;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shard cache's checksums on a real local filesystem with real local Spark: a healthy cache is reused as it is,
 * a damaged shard is named in a warning and the cache rebuilt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShardCacheTest {

    @TempDir
    Path tmp;
    private SparkSession spark;

    @BeforeAll
    void start() {
        spark = TestSpark.start();
    }

    @AfterAll
    void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** A fresh dataset per test, so that each test builds its own cache. */
    private JobConfig dataset(String name) throws Exception {
        String input = tmp.resolve(name).toUri().toString();
        DemoDataset.write(input, spark.sparkContext().hadoopConfiguration(), 3, 8, 2, 1);
        Map<String, Object> o = TestJobs.small(input, tmp.resolve("out-" + name).toUri().toString());
        o.put("data.shard-images", 10); // 24 training images: 3 shards
        return TestJobs.config(o);
    }

    private static Path local(ShardManifest manifest) {
        return new File(java.net.URI.create(manifest.directory())).toPath();
    }

    /** Every file of the cache directory and its modification time, Hadoop's .crc side files included. */
    private static Map<String, Long> modificationTimes(Path dir) throws Exception {
        Map<String, Long> times = new TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                times.put(f.getFileName().toString(), Files.getLastModifiedTime(f).toMillis());
            }
        }
        return times;
    }

    private static String crc32c(Path file) throws Exception {
        try (var in = Files.newInputStream(file)) {
            return ShardVerifier.crc32c(in);
        }
    }

    @Test
    void aHealthyCacheIsReusedWithoutRebuildingOrWarning() throws Exception {
        JobConfig config = dataset("healthy");
        ShardManifest built = TrainJob.prepare(spark, config);
        Path dir = local(built);
        Map<String, Long> before = modificationTimes(dir);
        Thread.sleep(1100); // a rebuild within the same second could keep a coarse clock's times

        ShardManifest reused;
        try (LogCapture log = new LogCapture(ShardCache.class)) {
            reused = TrainJob.prepare(spark, config);
            assertEquals(List.of(), log.warnings());
        }
        assertEquals(built, reused);
        assertEquals(before, modificationTimes(dir), "no file of the cache was written again");
        assertTrue(built.shards().stream().allMatch(s -> s.crc32c().matches("[0-9a-f]{8}") && s.bytes() > 0),
                "each shard has its length and checksum in the manifest: " + built.shards());
    }

    @Test
    void aShardWithFlippedBytesIsNamedInAWarningAndOnlyTheCacheIsRebuilt() throws Exception {
        JobConfig config = dataset("flipped");
        ShardManifest built = TrainJob.prepare(spark, config);
        Path dir = local(built);
        // another cache beside it (another stored size, or an older format) is not this run's to touch
        Path neighbour = Files.writeString(Files.createDirectories(dir.resolveSibling("v1-other")).resolve("kept"),
                "another cache");
        ShardManifest.Shard victim = built.shards(ImageFolderIndex.TRAIN).get(1);
        Path shard = dir.resolve(victim.name());
        byte[] bytes = Files.readAllBytes(shard);
        int at = ShardFormat.HEADER_BYTES + 4 + 7; // pixel bytes of the first record: the header still reads
        bytes[at] ^= (byte) 0xff;
        bytes[at + 1] ^= (byte) 0x01;
        Files.write(shard, bytes);
        // a file replaced behind Hadoop's back: without its stale .crc side file the local filesystem reads it
        // unchecked, as HDFS reads a file that a copy damaged, so only the manifest's checksum can tell
        Files.delete(dir.resolve("." + victim.name() + ".crc"));
        String damagedCrc = crc32c(shard);
        assertNotEquals(victim.crc32c(), damagedCrc, "the flip changed the shard's checksum");

        ShardManifest rebuilt;
        try (LogCapture log = new LogCapture(ShardCache.class)) {
            rebuilt = TrainJob.prepare(spark, config);
            List<String> warnings = log.warnings();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(shard.getFileName().toString())
                    && warnings.get(0).contains(built.directory()) && warnings.get(0).contains("rebuilding"),
                    "the warning names the damaged shard file and says the cache is rebuilt: " + warnings.get(0));
            assertEquals(1, warnings.stream().filter(w -> w.contains(".shard")).count(), "only that shard is named");
        }
        assertEquals(built.count(ImageFolderIndex.TRAIN), rebuilt.count(ImageFolderIndex.TRAIN));
        assertEquals(built.count(ImageFolderIndex.VAL), rebuilt.count(ImageFolderIndex.VAL));
        FileSystem fs = FileSystem.get(java.net.URI.create(rebuilt.directory()),
                spark.sparkContext().hadoopConfiguration());
        assertEquals(List.of(), ShardVerifier.damaged(spark, fs, new org.apache.hadoop.fs.Path(rebuilt.directory()),
                rebuilt), "every shard of the rebuilt cache verifies");
        ShardManifest.Shard again = rebuilt.shards().stream().filter(s -> s.name().equals(victim.name()))
                .findFirst().orElseThrow();
        assertEquals(again.crc32c(), crc32c(shard), "the shard was rewritten");
        assertNotEquals(damagedCrc, again.crc32c(), "and no longer holds the flipped bytes");
        assertEquals("another cache", Files.readString(neighbour), "nothing outside the damaged cache was touched");
    }
}
