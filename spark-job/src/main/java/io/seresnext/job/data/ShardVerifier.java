package io.seresnext.job.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.datavec.spark.util.SerializableHadoopConfig;

/**
 * Checks the shard files of a built cache against the lengths and CRC32C checksums its manifest records, before a
 * run reuses it. Lengths come from one listing on the driver; the checksums need every byte, so each shard is read
 * by a Spark task on the executors, once per run (about one epoch's reads without the decoding). During the
 * epochs the loader reads slices of shards, where a whole-file checksum cannot be checked; HDFS's block checksums
 * cover those reads against disk errors, and this check catches what they cannot: a shard changed by a copy, an
 * upload or an edit.
 */
public final class ShardVerifier {

    private static final int BUFFER = 1 << 20;

    private ShardVerifier() {
    }

    /** What is wrong with the shards of {@code manifest} under {@code dir}, one line per damaged file; empty if whole. */
    public static List<String> damaged(SparkSession spark, FileSystem fs, Path dir, ShardManifest manifest)
            throws IOException {
        Map<String, Long> lengths = new HashMap<>();
        for (FileStatus s : fs.listStatus(dir)) {
            lengths.put(s.getPath().getName(), s.getLen());
        }
        List<String> damaged = new ArrayList<>();
        List<ShardManifest.Shard> toRead = new ArrayList<>();
        for (ShardManifest.Shard shard : manifest.shards()) {
            Path file = new Path(dir, shard.name());
            Long length = lengths.get(shard.name());
            if (shard.crc32c() == null) {
                damaged.add(file + ": the manifest records no checksum for it");
            } else if (length == null) {
                damaged.add(file + ": missing");
            } else if (length != shard.bytes()) {
                damaged.add(file + ": " + length + " bytes, the manifest records " + shard.bytes());
            } else {
                toRead.add(shard);
            }
        }
        if (toRead.isEmpty()) {
            return damaged;
        }
        SerializableHadoopConfig conf = new SerializableHadoopConfig(spark.sparkContext().hadoopConfiguration());
        String directory = dir.toString();
        spark.sparkContext().setJobDescription("prepare: verify " + toRead.size() + " shards of " + directory);
        damaged.addAll(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(toRead, toRead.size())
                .map(shard -> check(new Path(directory, shard.name()), shard, conf))
                .filter(problem -> !problem.isEmpty())
                .collect());
        return damaged;
    }

    /** Empty when the file's bytes have the recorded checksum, else what is wrong, naming the file. */
    static String check(Path file, ShardManifest.Shard expected, SerializableHadoopConfig conf) {
        try {
            FileSystem fs = file.getFileSystem(conf.getConfiguration());
            try (InputStream in = fs.open(file)) {
                String actual = crc32c(in);
                return actual.equals(expected.crc32c()) ? ""
                        : file + ": CRC32C " + actual + ", the manifest records " + expected.crc32c();
            }
        } catch (FileNotFoundException e) {
            return file + ": missing";
        } catch (IOException | RuntimeException e) {
            return file + ": unreadable (" + e + ")"; // e.g. a local disk's ChecksumException
        }
    }

    /** The CRC32C of a whole stream, as 8 hex digits (the manifest's form). */
    public static String crc32c(InputStream in) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[BUFFER];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            crc.update(buffer, 0, n);
        }
        return hex(crc);
    }

    static String hex(CRC32C crc) {
        return String.format(Locale.ROOT, "%08x", crc.getValue());
    }
}
