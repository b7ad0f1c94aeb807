package io.seresnext.job.output;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.protocol.QuotaExceededException;
import org.apache.hadoop.security.AccessControlException;
import org.apache.hadoop.util.DiskChecker;

/**
 * A failed write to the output, explained for the user: which file, and whether the filesystem is full or over its
 * quota, or the output is not writable, instead of the exception's class alone. The cause is kept for the log.
 */
public final class WriteFailure {

    private WriteFailure() {
    }

    /** What went wrong, as Main prints it (exit status 1): {@code what} and {@code path} say what was being written. */
    public static OutputException explain(String what, Path path, IOException e) {
        return new OutputException("cannot write " + what + " " + path + ": " + reason(e) + " (" + firstLine(e)
                + ")", e);
    }

    /** An exception from the NameNode carries the server's stack trace in its message: the user needs line one. */
    static String firstLine(Throwable e) {
        String text = e.toString().strip();
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end).strip();
    }

    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof QuotaExceededException) {
                return "the output's filesystem is over its quota (full for this directory); free space or raise "
                        + "the quota";
            }
            if (t instanceof DiskChecker.DiskOutOfSpaceException || message.contains("no space left on device")) {
                return "the output's filesystem is full; free space";
            }
            if (t instanceof AccessControlException || t instanceof AccessDeniedException
                    || message.contains("permission denied")) {
                return "the output is not writable (permission denied); give this job's user write access";
            }
        }
        return "the write failed";
    }
}
