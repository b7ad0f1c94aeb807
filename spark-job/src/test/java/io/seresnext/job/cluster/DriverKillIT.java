package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.RunLock;
import io.seresnext.job.testing.ClusterRuns;
import io.seresnext.job.testing.MiniHdfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The driver, in a JVM of its own (submit/local.sh, output on HDFS), killed with SIGKILL while it writes a checkpoint,
 * in the middle of an epoch, and as it finishes (last checkpoint written, publishing begun): each time the output
 * holds the earlier state or the new one, never a part, and --resume (after the killed run's lock is released as
 * the README says) goes on from there until one finishes. A crash inside the publish itself is ModelStoreTest's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DriverKillIT {

    private MiniHdfs hdfs;
    private FileSystem fs;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        ClusterRuns.requireClusterJar();
        hdfs = new MiniHdfs();
        fs = hdfs.fileSystem();
        work = Files.createTempDirectory("driver-kill");
    }

    @AfterAll
    void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    private record Killed(String when, boolean wasAlive, List<String> outputAfter) {
    }

    @Test
    void aDriverKilledAtAnyPointLeavesAWholeOutputAndResumeFinishesTheRun() throws Exception {
        String input = ClusterRuns.writeShapesDataset(hdfs);
        String output = hdfs.uri("/models/killed-driver");
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(output);
        org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(root, ModelStore.CHECKPOINTS);

        List<String> first = new ArrayList<>(ClusterRuns.tinyJob(input, output, "parameter-averaging"));
        first.set(first.indexOf("--epochs") + 1, "3");
        first.addAll(List.of("--master", "local[2]"));
        List<String> resume = List.of("train", "--input", input, "--output", output, "--resume", "--master",
                "local[2]");

        List<Killed> kills = new ArrayList<>();
        // the second checkpoint: the first one is then there to resume from
        kills.add(killWhen(first, "writing a checkpoint", 0,
                () -> checkpointCount(checkpoints) >= 1 && exists(checkpoints, "_tmp-")));
        assertWhole(root);
        kills.add(killWhen(resume, "in the middle of an epoch", 1500,
                () -> fsExists(new org.apache.hadoop.fs.Path(checkpoints, "epoch-0002"))));
        assertWhole(root);
        // publishing follows the last checkpoint at once: killed there, or inside it where its temporary files show
        kills.add(killWhen(resume, "finishing: the last checkpoint written, the model being published", 0,
                () -> exists(root, "." + ModelStore.MODEL + ".tmp-")
                || exists(root, "." + ModelStore.SUCCESS + ".tmp-")
                || fsExists(new org.apache.hadoop.fs.Path(checkpoints, "epoch-0003"))));
        assertWhole(root);
        for (Killed k : kills) {
            System.out.println("driver killed while " + k.when() + (k.wasAlive() ? "" : " (it had ended first)")
                    + "; the output then held " + k.outputAfter());
        }
        assertTrue(kills.stream().allMatch(Killed::wasAlive), "every kill hit a live driver: " + kills);

        releaseTheKilledRunsLock(root);
        Path log = work.resolve("finish.log");
        int status = ClusterRuns.await(launch(resume, log), log);
        String tail = ClusterRuns.tail(log, 20);
        assertEquals(0, status, tail);
        assertTrue(tail.contains("Final validation accuracy after epoch 3"), tail);
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(root, ModelStore.SUCCESS)));
        new ModelStore(output, fs.getConf()).readModel(new org.apache.hadoop.fs.Path(root, ModelStore.MODEL));
    }

    /** Starts the job and kills its JVM (SIGKILL) {@code delayMs} after {@code moment} holds (HDFS polled). */
    private Killed killWhen(List<String> job, String when, long delayMs, BooleanSupplier moment) throws Exception {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(job.get(job.indexOf("--output") + 1));
        if (fs.exists(root)) {
            releaseTheKilledRunsLock(root);
        }
        Path log = work.resolve("run-" + when.replace(' ', '-') + ".log");
        Process driver = launch(job, log);
        long deadline = System.currentTimeMillis() + 300_000;
        while (driver.isAlive() && !moment.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(3);
        }
        Thread.sleep(delayMs);
        boolean alive = driver.isAlive();
        driver.destroyForcibly(); // local.sh execs java: this is the driver JVM itself
        driver.waitFor();
        List<String> left = new ArrayList<>();
        for (FileStatus s : fs.listStatus(root)) {
            left.add(s.getPath().getName());
        }
        return new Killed(when, alive, left);
    }

    private Process launch(List<String> job, Path log) throws Exception {
        return ClusterRuns.start(Path.of("../submit/local.sh"), job, Map.of("JAVA_OPTS", "-Xmx1g",
                "OMP_NUM_THREADS", "1"), log);
    }

    /** What the README tells a user to do once the killed run's process is gone: delete its lock. */
    private void releaseTheKilledRunsLock(org.apache.hadoop.fs.Path root) throws Exception {
        fs.delete(new org.apache.hadoop.fs.Path(root, RunLock.NAME), false);
    }

    /**
     * Every checkpoint reads back whole (its model matches its digest), and a model or success marker, where
     * present, is complete and consistent: no half-written file under a final name.
     */
    private void assertWhole(org.apache.hadoop.fs.Path root) throws Exception {
        ModelStore store = new ModelStore(root.toString(), fs.getConf());
        for (org.apache.hadoop.fs.Path checkpoint : store.checkpoints()) {
            for (String file : List.of(ModelStore.MODEL, ModelStore.MODEL_SHA256, ModelStore.STATE)) {
                assertTrue(fs.exists(new org.apache.hadoop.fs.Path(checkpoint, file)), checkpoint + "/" + file);
            }
            store.readModel(new org.apache.hadoop.fs.Path(checkpoint, ModelStore.MODEL));
        }
        assertTrue(store.latestCheckpoint().isPresent(), "something to resume from");
        org.apache.hadoop.fs.Path model = new org.apache.hadoop.fs.Path(root, ModelStore.MODEL);
        if (fs.exists(model)) {
            store.readModel(model); // checked against _SUCCESS's digest when the marker is there
        }
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path(root, ModelStore.SUCCESS)) && !fs.exists(model),
                "a success marker without its model");
    }

    private boolean exists(org.apache.hadoop.fs.Path dir, String prefix) {
        try {
            if (!fs.exists(dir)) {
                return false;
            }
            for (FileStatus s : fs.listStatus(dir)) {
                if (s.getPath().getName().startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private boolean fsExists(org.apache.hadoop.fs.Path path) {
        try {
            return fs.exists(path);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private int checkpointCount(org.apache.hadoop.fs.Path checkpoints) {
        try {
            return new ModelStore(checkpoints.getParent().toString(), fs.getConf()).checkpoints().size();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
