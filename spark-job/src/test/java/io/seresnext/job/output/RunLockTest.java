package io.seresnext.job.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.testing.MiniHdfs;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** One run per output directory, on HDFS and on a local disk, whatever the timing; a dead run's lock expires. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunLockTest {

    private MiniHdfs hdfs;
    private FileSystem fs;

    @BeforeAll
    void start() throws Exception {
        hdfs = new MiniHdfs();
        fs = hdfs.fileSystem();
    }

    @AfterAll
    void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    @Test
    void aSecondRunIsRefusedUntilTheFirstEnds() throws Exception {
        Path root = new Path(hdfs.uri("/models/held"));
        try (RunLock first = RunLock.acquire(fs, root)) {
            OutputException refused = assertThrows(OutputException.class, () -> RunLock.acquire(fs, root));
            assertTrue(refused.getMessage().contains(root.toString())
                    && refused.getMessage().contains(first.owner()), refused.getMessage());
        }
        assertFalse(fs.exists(new Path(root, RunLock.NAME)));
        RunLock.acquire(fs, root).close();
    }

    @Test
    void ofEightRunsStartedAtOnceOnHdfsExactlyOneTakesTheOutput() throws Exception {
        assertEquals(1, winnersOfARace(fs, new Path(hdfs.uri("/models/race")), 8));
    }

    @Test
    void ofEightRunsStartedAtOnceOnALocalDiskExactlyOneTakesTheOutput(@TempDir java.nio.file.Path dir)
            throws Exception {
        FileSystem local = FileSystem.getLocal(new Configuration());
        assertEquals(1, winnersOfARace(local, new Path(dir.toUri().toString(), "out"), 8));
    }

    @Test
    void aLockItsRunStoppedRenewingIsTakenOverAndAFreshOneIsNot() throws Exception {
        Path root = new Path(hdfs.uri("/models/dead-run"));
        Path lock = new Path(root, RunLock.NAME);
        plantLock(lock, "run of a killed driver", System.currentTimeMillis());
        assertThrows(OutputException.class, () -> RunLock.acquire(fs, root), "a lock renewed just now holds");

        long staleMillis = System.currentTimeMillis() - RunLock.STALE_AFTER.toMillis() - 10_000;
        fs.setTimes(lock, staleMillis, -1);
        try (RunLock taken = RunLock.acquire(fs, root)) {
            assertEquals(taken.owner(), read(lock), "the new run holds the lock");
        }
    }

    @Test
    void aLiveRunKeepsRenewingItsLock() throws Exception {
        Path root = new Path(hdfs.uri("/models/long-run"));
        try (RunLock live = RunLock.acquire(fs, root, Duration.ofMillis(100))) {
            long staleMillis = System.currentTimeMillis() - RunLock.STALE_AFTER.toMillis() - 10_000;
            fs.setTimes(live.path(), staleMillis, -1);
            long deadline = System.currentTimeMillis() + 10_000;
            while (fs.getFileStatus(live.path()).getModificationTime() == staleMillis
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertThrows(OutputException.class, () -> RunLock.acquire(fs, root), "renewed, so not taken over");
        }
    }

    @Test
    void aRunWhoseLockWasTakenFromItStopsBeforeItsNextWrite() throws Exception {
        Path root = new Path(hdfs.uri("/models/lost"));
        try (RunLock held = RunLock.acquire(fs, root, Duration.ofMillis(100))) {
            held.assertHeld();
            fs.delete(held.path(), false); // as a run that found it stale would, after this one paused too long
            long deadline = System.currentTimeMillis() + 10_000;
            OutputException lost = null;
            while (lost == null && System.currentTimeMillis() < deadline) {
                try {
                    held.assertHeld();
                    Thread.sleep(50);
                } catch (OutputException e) {
                    lost = e;
                }
            }
            assertTrue(lost != null && lost.getMessage().startsWith("stopping before writing to " + root),
                    String.valueOf(lost));
        }
    }

    private static int winnersOfARace(FileSystem fs, Path root, int runs) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        try {
            List<Future<RunLock>> attempts = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                attempts.add(pool.submit((Callable<RunLock>) () -> {
                    start.await();
                    try {
                        return RunLock.acquire(fs, root);
                    } catch (OutputException refused) {
                        return null;
                    }
                }));
            }
            start.countDown();
            List<RunLock> held = new ArrayList<>();
            for (Future<RunLock> attempt : attempts) {
                RunLock lock = attempt.get();
                if (lock != null) {
                    held.add(lock);
                }
            }
            for (RunLock lock : held) {
                lock.close();
            }
            return held.size();
        } finally {
            pool.shutdownNow();
        }
    }

    private void plantLock(Path lock, String owner, long modified) throws Exception {
        try (OutputStream out = fs.create(lock, true)) {
            out.write(owner.getBytes(StandardCharsets.UTF_8));
        }
        fs.setTimes(lock, modified, -1);
    }

    private String read(Path lock) throws Exception {
        try (InputStream in = fs.open(lock)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
