package io.seresnext.job.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.config.JobConfig;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decoded dataset as shard files on a Hadoop filesystem, built once on the executors and reused across
 * epochs and runs while the source folder is unchanged. The cache directory is named by a fingerprint of the
 * file index (paths, sizes, modification times, split) and the stored size; it counts as built only once its
 * manifest exists, which is written last.
 */
public final class ShardCache {

    private static final Logger log = LoggerFactory.getLogger(ShardCache.class);
    static final String MANIFEST = "_MANIFEST.json";
    private static final int BAD_EXAMPLES = 5;

    /** What one shard-writing task produced: the shard's records, length and CRC32C, and the files it skipped. */
    public record ShardResult(String split, String name, int count, long bytes, String crc32c, int bad,
                              List<String> badExamples) implements Serializable {
    }

    private ShardCache() {
    }

    /** The manifest of the cache for this listing, building the shards first when they are not there. */
    public static ShardManifest prepare(SparkSession spark, ImageFolderIndex.Listing listing, JobConfig.Data options) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String cacheRoot = options.cache().isBlank() ? listing.root() + "/_shards"
                : HadoopFiles.qualified(options.cache(), conf);
        String fingerprint = fingerprint(listing, options.storedSize());
        Path dir = new Path(cacheRoot, fingerprint);
        FileSystem fs = HadoopFiles.fileSystem(dir.toString(), conf);
        Path manifestPath = new Path(dir, MANIFEST);
        try {
            if (fs.exists(manifestPath)) {
                ShardManifest cached = verified(spark, fs, dir, manifestPath);
                if (cached != null) {
                    log.info("Reusing the shard cache {} ({} training, {} validation images)", dir,
                            cached.count(ImageFolderIndex.TRAIN), cached.count(ImageFolderIndex.VAL));
                    return cached;
                }
            }
            if (fs.exists(dir)) {
                fs.delete(dir, true); // an earlier build that did not finish, or a damaged one
            }
            fs.mkdirs(new Path(dir, "_tmp"));
        } catch (IOException e) {
            throw new DataException("cannot use the shard cache " + dir + " (data.cache): " + e.getMessage(), e);
        }

        List<ShardResult> results = new ArrayList<>();
        for (String split : List.of(ImageFolderIndex.TRAIN, ImageFolderIndex.VAL)) {
            results.addAll(writeShards(spark, listing, split, dir.toString(), options));
        }
        long total = results.stream().mapToLong(r -> r.count() + r.bad()).sum();
        long bad = results.stream().mapToLong(ShardResult::bad).sum();
        List<String> examples = results.stream().flatMap(r -> r.badExamples().stream()).limit(BAD_EXAMPLES).toList();
        if (bad > options.maxBadFraction() * total) {
            throw new DataException(String.format(Locale.ROOT, "%d of %d files under %s could not be read as images "
                    + "(%.2f%%, more than data.max-bad-fraction %.2f%%), e.g. %s", bad, total, listing.root(),
                    100.0 * bad / total, 100 * options.maxBadFraction(), examples));
        }
        if (bad > 0) {
            log.warn("Skipped {} of {} files that are not readable images, e.g. {}", bad, total, examples);
        }
        List<ShardManifest.Shard> shards = results.stream().filter(r -> r.count() > 0)
                .map(r -> new ShardManifest.Shard(r.split(), r.name(), r.count(), r.bytes(), r.crc32c())).toList();
        ShardManifest manifest = new ShardManifest(dir.toString(), fingerprint, listing.root(), listing.classes(),
                options.storedSize(), bad, examples, shards);
        try {
            fs.delete(new Path(dir, "_tmp"), true);
            Path tmp = new Path(dir, MANIFEST + ".tmp");
            try (OutputStream out = fs.create(tmp, true)) {
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out, manifest);
            }
            if (!fs.rename(tmp, manifestPath)) {
                throw new IOException("rename to " + manifestPath + " failed");
            }
        } catch (IOException e) {
            throw new DataException("cannot write the shard manifest " + manifestPath + ": " + e.getMessage(), e);
        }
        log.info("Built the shard cache {}: {} training, {} validation images", dir,
                manifest.count(ImageFolderIndex.TRAIN), manifest.count(ImageFolderIndex.VAL));
        return manifest;
    }

    /**
     * The cache's manifest when every shard it lists is whole; null, after a warning naming what is damaged, when
     * the cache has to be rebuilt. Nothing outside the cache directory is touched either way.
     */
    private static ShardManifest verified(SparkSession spark, FileSystem fs, Path dir, Path manifestPath)
            throws IOException {
        ShardManifest cached;
        try {
            cached = read(fs, manifestPath);
        } catch (IOException e) { // a damaged manifest: Jackson's parse errors are IOExceptions
            log.warn("The shard cache manifest {} is unreadable ({}); rebuilding the cache", manifestPath,
                    e.getMessage());
            return null;
        }
        List<String> damaged = ShardVerifier.damaged(spark, fs, dir, cached);
        if (damaged.isEmpty()) {
            return cached;
        }
        log.warn("The shard cache {} is damaged; rebuilding it. {} of {} shards failed their check: {}", dir,
                damaged.size(), cached.shards().size(), damaged);
        return null;
    }

    static ShardManifest read(FileSystem fs, Path manifest) throws IOException {
        try (InputStream in = fs.open(manifest)) {
            return new ObjectMapper().readValue(in, ShardManifest.class);
        }
    }

    /** Order-independent: sums of two different 64-bit hashes over every file row, plus the count. */
    static String fingerprint(ImageFolderIndex.Listing listing, int storedSize) {
        Row r = listing.files().agg(functions.count(functions.lit(1)),
                functions.sum(functions.xxhash64(functions.col("relative_path"), functions.col("size"),
                        functions.col("modified"), functions.col("split"), functions.col("label"))),
                functions.sum(functions.xxhash64(functions.lit("salt"), functions.col("relative_path"),
                        functions.col("modified"), functions.col("size")))).first();
        String classes = String.join("/", listing.classes());
        return String.format(Locale.ROOT, "v%d-s%d-%016x%016x%08x", ShardFormat.VERSION, storedSize,
                r.isNullAt(1) ? 0 : r.getLong(1), r.isNullAt(2) ? 0 : r.getLong(2),
                (Long.hashCode(r.getLong(0)) * 31) ^ classes.hashCode());
    }

    private static List<ShardResult> writeShards(SparkSession spark, ImageFolderIndex.Listing listing, String split,
                                                 String dir, JobConfig.Data options) {
        Dataset<Row> files = listing.files().filter(functions.col("split").equalTo(split));
        long n = split.equals(ImageFolderIndex.TRAIN) ? listing.trainFiles() : listing.valFiles();
        int shards = (int) Math.max(1, (n + options.shardImages() - 1) / options.shardImages());
        // round-robin spreads every class over every shard; the hash order mixes classes inside a shard
        Dataset<Row> arranged = files.repartition(shards).sortWithinPartitions(
                functions.xxhash64(functions.col("relative_path"), functions.lit(options.splitSeed())));
        SerializableHadoopConfig conf = new SerializableHadoopConfig(spark.sparkContext().hadoopConfiguration());
        int size = options.storedSize();
        spark.sparkContext().setJobDescription("prepare: decode " + n + " " + split + " images into " + shards
                + " shards");
        return arranged.javaRDD().mapPartitionsWithIndex((index, rows) ->
                List.of(writeShard(rows, split, index, dir, size, conf)).iterator(), true).collect();
    }

    static String shardName(String split, int index) {
        return String.format(Locale.ROOT, "%s-%05d.shard", split, index);
    }

    private static ShardResult writeShard(Iterator<Row> rows, String split, int index, String dir, int size,
                                          SerializableHadoopConfig conf) throws IOException {
        String name = shardName(split, index);
        Path target = new Path(dir, name);
        FileSystem fs = target.getFileSystem(conf.getConfiguration());
        TaskContext task = TaskContext.get();
        Path tmp = new Path(new Path(dir, "_tmp"), name + "." + (task == null ? 0 : task.taskAttemptId()));
        int count = 0;
        int bad = 0;
        List<String> badExamples = new ArrayList<>();
        CRC32C crc = new CRC32C(); // of the bytes as written: the reuse check compares the file against it
        long bytes;
        try (FSDataOutputStream file = fs.create(tmp, true);
             DataOutputStream out = new DataOutputStream(new CheckedOutputStream(file, crc))) {
            ShardFormat.writeHeader(out, size);
            while (rows.hasNext()) {
                Row row = rows.next();
                String path = row.getString(0);
                byte[] pixels;
                try {
                    pixels = ImageDecoder.decodeSquare(HadoopFiles.readImage(fs, new Path(path), row.getLong(3)), size);
                } catch (IOException | RuntimeException e) {
                    bad++;
                    if (badExamples.size() < BAD_EXAMPLES) {
                        badExamples.add(path + ": " + e.getMessage());
                    }
                    continue;
                }
                ShardFormat.writeRecord(out, row.getInt(2), pixels);
                count++;
            }
            out.flush();
            bytes = file.getPos();
        }
        if (fs.exists(target)) {
            fs.delete(target, false); // left by a failed attempt of this task
        }
        if (!fs.rename(tmp, target)) {
            throw new IOException("rename " + tmp + " -> " + target + " failed");
        }
        return new ShardResult(split, name, count, bytes, ShardVerifier.hex(crc), bad, badExamples);
    }
}
