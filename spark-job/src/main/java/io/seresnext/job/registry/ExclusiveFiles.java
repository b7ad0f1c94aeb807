package io.seresnext.job.registry;

import io.seresnext.job.output.AtomicFiles;
import io.seresnext.job.output.AtomicFiles.Writer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.UUID;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Creating a file under a name nobody else has taken, whole or not at all: the content goes to a hidden temporary
 * name, which is then moved onto the target only if the target does not exist, in one atomic step. Two writers
 * racing for one name: exactly one wins, the other is told so, and no reader ever sees a part.
 * <p>
 * Why not {@code FileSystem.create(path, false)}: on a local disk it checks and creates in two steps (not exclusive),
 * and on HDFS a file is visible, empty, while it is being written. Why not {@code FileSystem.rename}: on a local disk
 * it replaces an existing target. So HDFS (and any filesystem behind {@link FileContext}) renames without
 * {@code OVERWRITE}, which the NameNode refuses atomically when the target exists; a local disk makes a hard link
 * ({@code link(2)} fails atomically on an existing name). Object stores (s3a) have no atomic rename: a registry there
 * is as safe as their rename.
 */
final class ExclusiveFiles {

    private ExclusiveFiles() {
    }

    /** @return true when this call created {@code target}; false when it already existed (nothing is written) */
    static boolean createNew(FileSystem fs, Path target, Writer writer) throws IOException {
        FileSystem out = AtomicFiles.writable(fs);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream stream = out.create(tmp, false)) {
                writer.write(stream);
            }
            return moveIfAbsent(out, tmp, target);
        } finally {
            out.delete(tmp, false); // after a hard link, or when the target was taken
        }
    }

    private static boolean moveIfAbsent(FileSystem fs, Path tmp, Path target) throws IOException {
        if (fs instanceof RawLocalFileSystem local) {
            try {
                Files.createLink(local.pathToFile(target).toPath(), local.pathToFile(tmp).toPath());
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try {
            FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(fs.makeQualified(tmp),
                    fs.makeQualified(target));
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }
}
