package io.seresnext.job.output;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run per output directory: {@code _RUNNING} is created exclusively (an atomic create on HDFS, O_EXCL on a local
 * disk), so of two runs started on one output, whatever the timing, the second is refused before it writes anything.
 * While the run lives, a daemon thread touches the lock's modification time; a lock untouched for
 * {@link #STALE_AFTER} was left by a driver that died (SIGKILL, lost node) and the next run takes it over with a
 * warning. A clean end, successful or not, deletes the lock.
 */
public final class RunLock implements AutoCloseable {

    public static final String NAME = "_RUNNING";
    /** Long enough for a driver's GC pauses and a slow NameNode; short enough for a scheduler's retry. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(2);
    static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private static final Logger log = LoggerFactory.getLogger(RunLock.class);

    private final FileSystem fs;
    private final Path lock;
    private final String owner;
    private final ScheduledExecutorService heartbeat;
    private final boolean createdTheDirectory;
    private volatile String lost;

    private RunLock(FileSystem fs, Path lock, String owner, Duration renewEvery, boolean createdTheDirectory) {
        this.fs = fs;
        this.lock = lock;
        this.owner = owner;
        this.createdTheDirectory = createdTheDirectory;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "run-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long period = renewEvery.toMillis();
        heartbeat.scheduleAtFixedRate(this::touch, period, period, TimeUnit.MILLISECONDS);
    }

    /** Takes the output directory {@code root} for this run, or explains who holds it. */
    public static RunLock acquire(FileSystem fs, Path root) throws IOException {
        return acquire(fs, root, HEARTBEAT);
    }

    static RunLock acquire(FileSystem fs, Path root, Duration renewEvery) throws IOException {
        FileSystem writable = AtomicFiles.writable(fs);
        Path lock = new Path(root, NAME);
        String owner = describeThisRun();
        boolean created = !writable.exists(root);
        writable.mkdirs(root);
        if (createExclusively(writable, lock, owner)) {
            return new RunLock(writable, lock, owner, renewEvery, created);
        }
        FileStatus held = heldBy(writable, lock);
        if (held != null) {
            Duration idle = Duration.between(Instant.ofEpochMilli(held.getModificationTime()), Instant.now());
            if (idle.compareTo(STALE_AFTER) < 0) {
                throw new OutputException("output " + root + " is in use by another run (" + read(writable, lock)
                        + "; its lock " + lock + " was renewed " + Math.max(0, idle.toSeconds()) + " s ago). Wait for "
                        + "it to end; a lock its run no longer renews is taken over after "
                        + STALE_AFTER.toMinutes() + " minutes");
            }
            takeOver(writable, lock, read(writable, lock), idle);
        }
        if (!createExclusively(writable, lock, owner)) {
            throw new OutputException("output " + root + " was taken by another run just now (" + lock + ")");
        }
        return new RunLock(writable, lock, owner, renewEvery, created);
    }

    /** Moves the stale lock aside under a unique name, so that only one of two racing runs can take it over. */
    private static void takeOver(FileSystem fs, Path lock, String staleOwner, Duration idle) throws IOException {
        Path aside = new Path(lock.getParent(), "." + NAME + ".stale-" + UUID.randomUUID());
        if (!fs.rename(lock, aside)) {
            return; // another run moved it first; the exclusive create decides between us
        }
        String moved = read(fs, aside);
        if (!moved.equals(staleOwner)) {
            // between our look and our rename another run took the lock over: give it back and step aside
            fs.rename(aside, lock);
            throw new OutputException("output " + lock.getParent() + " was taken by another run just now (" + lock
                    + ")");
        }
        fs.delete(aside, false);
        log.warn("Took over the lock {} of a run that stopped renewing it {} s ago ({})", lock, idle.toSeconds(),
                staleOwner);
    }

    private static boolean createExclusively(FileSystem fs, Path lock, String owner) throws IOException {
        byte[] content = owner.getBytes(StandardCharsets.UTF_8);
        try {
            if (fs instanceof RawLocalFileSystem local) {
                Files.write(local.pathToFile(lock).toPath(), content, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
            } else {
                try (OutputStream out = fs.create(lock, false)) {
                    out.write(content);
                }
            }
            return true;
        } catch (FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(lock)) {
                return false; // HDFS reports a file still being written by its creator this way
            }
            throw e;
        }
    }

    private static FileStatus heldBy(FileSystem fs, Path lock) throws IOException {
        try {
            return fs.getFileStatus(lock);
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    private static String read(FileSystem fs, Path lock) throws IOException {
        try (InputStream in = fs.open(lock)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (java.io.FileNotFoundException e) {
            return "";
        }
    }

    private static String describeThisRun() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return "run " + UUID.randomUUID() + " started " + Instant.now() + " on " + host + " (pid "
                + ProcessHandle.current().pid() + ")";
    }

    /** Renews the lock; a lock that vanished or changed owner is not recreated: this run has lost the output. */
    private void touch() {
        try {
            if (!read(fs, lock).equals(owner)) {
                lost = "the lock " + lock + " was taken over or removed (a pause longer than " + STALE_AFTER.toMinutes()
                        + " minutes lets another run take it)";
                log.error("This run no longer holds its output: {}", lost);
                return;
            }
            fs.setTimes(lock, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not renew the run lock {}: {}", lock, e.toString());
        }
    }

    /**
     * Called before every write that must not mix with another run's (checkpoints, the model): a run that lost its
     * lock stops rather than write over the run that took the output.
     *
     * @throws OutputException when the lock was taken over or removed
     */
    public void assertHeld() {
        if (lost != null) {
            throw new OutputException("stopping before writing to " + lock.getParent() + ": " + lost);
        }
    }

    /** What the lock says about the run holding it. */
    public String owner() {
        return owner;
    }

    public Path path() {
        return lock;
    }

    /**
     * Releases the lock, and the output directory too when this run created it and wrote nothing (a run refused
     * for bad input leaves no trace). A failure here only delays the next run until the lock is stale: logged.
     */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try {
            if (read(fs, lock).equals(owner)) {
                fs.delete(lock, false);
            }
            Path root = lock.getParent();
            if (createdTheDirectory && fs.listStatus(root).length == 0) {
                fs.delete(root, false); // not recursive: fails harmlessly if another run has just arrived
            }
        } catch (IOException e) {
            log.warn("Could not release the run lock {} ({}); the next run takes it over after {} minutes", lock,
                    e.toString(), STALE_AFTER.toMinutes());
        }
    }
}
