package io.seresnext.job.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Writing a file so that readers see either the old content or the new, never a part: the bytes go to a hidden
 * temporary name in the same directory, which then replaces the target in one atomic rename (HDFS's rename with
 * overwrite; on local disks the POSIX rename). Local files are written without Hadoop's .crc side files, whose
 * rename would not be atomic with the data.
 */
public final class AtomicFiles {

    /** Writes the whole content to the stream it is given. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** The filesystem to write through: the raw one for local disks. */
    public static FileSystem writable(FileSystem fs) {
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    public static void write(FileSystem fs, Path target, Writer writer) throws IOException {
        FileSystem out = writable(fs);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream stream = create(out, tmp)) {
                writer.write(stream);
            }
            replace(out, tmp, target);
        } catch (IOException | RuntimeException e) {
            try {
                out.delete(tmp, false);
            } catch (IOException ignored) {
                // the temporary stays hidden; the next write removes it
            }
            throw e;
        }
    }

    /** A new file (replacing any), through a stream whose failures survive try-with-resources. */
    public static OutputStream create(FileSystem fs, Path path) throws IOException {
        return new RethrowSafeOutputStream(fs.create(path, true));
    }

    static void replace(FileSystem fs, Path source, Path target) throws IOException {
        if (fs instanceof RawLocalFileSystem local) {
            Files.move(local.pathToFile(source).toPath(), local.pathToFile(target).toPath(),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(fs.makeQualified(source),
                    fs.makeQualified(target), Options.Rename.OVERWRITE);
        }
    }

    /** Renames a finished directory into place; the target must not exist. */
    public static void moveDirectory(FileSystem fs, Path source, Path target) throws IOException {
        if (!writable(fs).rename(source, target)) {
            throw new IOException("cannot rename " + source + " to " + target);
        }
    }
}
