package io.seresnext.job.data;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Resolving job URIs to Hadoop filesystems, with errors that name the URI. */
public final class HadoopFiles {

    private HadoopFiles() {
    }

    public static FileSystem fileSystem(String uri, Configuration conf) {
        try {
            return new Path(uri).getFileSystem(conf);
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot reach the filesystem of " + uri + ": " + e.getMessage(), e);
        }
    }

    /** The URI qualified with its filesystem's scheme and authority, so that it means the same on every JVM. */
    public static String qualified(String uri, Configuration conf) {
        FileSystem fs = fileSystem(uri, conf);
        return fs.makeQualified(new Path(uri)).toString();
    }

    /** Hidden names (Hadoop's convention: "_" or "." first) are metadata, caches or temporaries, never data. */
    public static boolean hidden(String name) {
        return name.startsWith("_") || name.startsWith(".");
    }

    /** A whole image file, read in one call ({@code length} from its listing, so no second round trip). */
    public static byte[] readImage(FileSystem fs, Path path, long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("file too large for an image (" + length + " bytes)");
        }
        byte[] bytes = new byte[(int) length];
        try (var in = fs.open(path)) {
            in.readFully(0, bytes);
        }
        return bytes;
    }
}
