package io.seresnext.job.output;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * SHA-256 digests of the files a run writes, recorded in sha256sum's format ({@code HEX  NAME} per line) so that a
 * user can also check an output with {@code sha256sum -c}. HDFS's block checksums catch a flipped bit on disk, but
 * not a file damaged by a copy, an object store or a partial upload; these catch any change of the bytes.
 */
public final class Checksums {

    /** A digest some file records for a model zip, and which file records it (for messages). */
    public record Expected(String sha256, Path recordedIn) {
    }

    private Checksums() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String line(String sha256, String name) {
        return sha256 + "  " + name + "\n";
    }

    /** The file names and digests of sha256sum-format text. */
    public static Map<String, String> parse(String text) {
        Map<String, String> digests = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int gap = line.indexOf("  ");
            if (gap == 64) {
                digests.put(line.substring(gap + 2).strip(), line.substring(0, gap));
            }
        }
        return digests;
    }

    /** What {@code record} says {@code file}'s digest is, if {@code record} exists and names it. */
    static Expected recorded(FileSystem fs, Path record, String file) throws IOException {
        String text;
        try (InputStream in = fs.open(record)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            return null;
        }
        String sha256 = parse(text).get(file);
        return sha256 == null ? null : new Expected(sha256, record);
    }
}
