package io.seresnext.job.data;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The shard file: a 32-byte header, then fixed-size records (label as int32, then the image as RGB bytes in
 * height-width-channel order). Fixed-size records let a reader seek straight to any run of images; the record
 * count follows from the file length (and is in the cache manifest), so shards are written in one stream.
 */
public final class ShardFormat {

    static final long MAGIC = 0x5352585348524431L; // "SRXSHRD1"
    /** 2: the manifest records each shard's length and CRC32C; caches of version 1 are rebuilt (new fingerprint). */
    static final int VERSION = 2;
    public static final int HEADER_BYTES = 32;
    public static final int CHANNELS = 3;

    private ShardFormat() {
    }

    public static int recordBytes(int size) {
        return 4 + size * size * CHANNELS;
    }

    public static long offsetOf(int record, int size) {
        return HEADER_BYTES + (long) record * recordBytes(size);
    }

    public static void writeHeader(DataOutputStream out, int size) throws IOException {
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(0);
        out.writeInt(CHANNELS);
        out.writeInt(size);
        out.writeInt(size);
        out.writeInt(0);
    }

    public static void writeRecord(DataOutputStream out, int label, byte[] rgb) throws IOException {
        out.writeInt(label);
        out.write(rgb);
    }

    /** Reads and checks a header; returns the image side. */
    static int readHeader(InputStream in, String name) throws IOException {
        DataInputStream d = new DataInputStream(in);
        if (d.readLong() != MAGIC) {
            throw new IOException(name + " is not a shard file (bad magic); delete the shard cache to rebuild it");
        }
        int version = d.readInt();
        if (version != VERSION) {
            throw new IOException(name + " has shard format version " + version + ", this job reads " + VERSION);
        }
        d.readInt();
        int channels = d.readInt();
        int h = d.readInt();
        int w = d.readInt();
        d.readInt();
        if (channels != CHANNELS || h != w) {
            throw new IOException(name + ": unexpected image shape " + channels + "x" + h + "x" + w);
        }
        return h;
    }
}
