package io.seresnext.job.output;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream that never throws the same exception object twice. HDFS's stream keeps its first failure (a
 * quota, a lost DataNode) and throws that very object again from every later call, close() included; a
 * try-with-resources around it then fails with "Self-suppression not permitted" (an IllegalArgumentException),
 * which hides the real cause. A repeat is wrapped in a new IOException, so the first one reaches the user.
 */
final class RethrowSafeOutputStream extends FilterOutputStream {

    private IOException first;

    RethrowSafeOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            throw once(e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw once(e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw once(e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } catch (IOException e) {
            throw once(e);
        }
    }

    private IOException once(IOException e) {
        if (first == null) {
            first = e;
            return e;
        }
        return e == first ? new IOException("the stream had already failed: " + e.getMessage(), e) : e;
    }
}
