package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The cluster jar, launched with submit/standalone.sh (spark-submit with the project's conf/) on a real standalone
 * cluster (a Master and two Workers, each with an executor JVM of its own), input and output on HDFS: each training
 * master trains across both executor JVMs and publishes the model.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneClusterIT {

    private static final Path CLUSTER_JAR = Path.of("target/spark-job-cluster.jar");
    private static final Path LAUNCHER = Path.of("../submit/standalone.sh").toAbsolutePath().normalize();

    private MiniHdfs hdfs;
    private StandaloneCluster cluster;
    private String input;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Files.isRegularFile(CLUSTER_JAR), "the cluster jar is built by `package`: " + CLUSTER_JAR);
        hdfs = new MiniHdfs();
        input = hdfs.uri("/data/shapes");
        DemoDataset.write(input, hdfs.fileSystem().getConf(), 3, 16, 6, 1);
        // two Workers on one machine, each offering two (fake) GPUs
        cluster = new StandaloneCluster(1, "2g", List.of(List.of("0", "1"), List.of("2", "3")));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** Settings for two 1-core executors on this small machine, layered over conf/spark/standalone.properties. */
    private Path testProperties(Path events, String... more) throws Exception {
        Path file = cluster.home().resolve("test-" + events.getFileName() + ".properties");
        Files.writeString(file, String.join("\n",
                "spark.driver.host=127.0.0.1", "spark.driver.bindAddress=127.0.0.1",
                "spark.executor.memory=1500m", "spark.executor.cores=1", "spark.cores.max=2",
                "spark.driver.memory=1g", "spark.ui.enabled=false", "spark.executorEnv.OMP_NUM_THREADS=1",
                "spark.eventLog.enabled=true", "spark.eventLog.dir=" + events.toUri(),
                "seresnext.executor.jvm=-Dorg.bytedeco.javacpp.maxbytes=2G -Dorg.bytedeco.javacpp.maxphysicalbytes=4G",
                "seresnext.driver.jvm=-Dorg.bytedeco.javacpp.maxbytes=1G -Dorg.bytedeco.javacpp.maxphysicalbytes=3G",
                String.join("\n", more), ""));
        return file;
    }

    /** The job's arguments: the tiny preset at 16x16, 2 epochs, both executors as workers. */
    private List<String> jobArgs(String output, String master) {
        return List.of("train", "--input", input, "--output", output, "--training-master", master,
                "--preset", "seresnext11_4x8d_tiny", "--epochs", "2", "--batch-size", "8",
                "--set", "model.image-size=16", "--set", "data.stored-size=18", "--set", "data.shard-images=20",
                "--set", "train.learning-rate=0.05", "--set", "train.eval-batch-size=16",
                "--set", "training-master.workers=2",
                "--set", "training-master.parameter-averaging.averaging-frequency=2",
                "--set", "training-master.gradient-sharing.controller-address=127.0.0.1",
                "--set", "training-master.gradient-sharing.network-mask=127.0.0.0/8");
    }

    /** submit/standalone.sh, as a user runs it, against the test cluster. */
    private int launch(List<String> jobArgs, Path properties, Path log) throws Exception {
        return await(start(jobArgs, properties, log), log);
    }

    private Process start(List<String> jobArgs, Path properties, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", LAUNCHER.toString()));
        command.addAll(jobArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(cluster.environment());
        pb.environment().put("SPARK_MASTER", cluster.masterUrl());
        pb.environment().put("SPARK_PROPERTIES", properties.toString());
        return pb.start();
    }

    private static int await(Process p, Path log) throws Exception {
        if (!p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the job did not finish in 600 s; see " + log);
        }
        return p.exitValue();
    }

    /** Executor IDs that ran tasks of the training jobs, from the application's event log. */
    private static Set<String> trainingExecutors(Path events) throws Exception {
        Set<String> executors = new TreeSet<>();
        Pattern executor = Pattern.compile("\"Executor ID\":\"(\\d+)\"");
        try (Stream<Path> logs = Files.list(events)) {
            for (Path log : logs.toList()) {
                for (String line : Files.readAllLines(log)) {
                    if (line.contains("\"Event\":\"SparkListenerTaskEnd\"")) {
                        Matcher m = executor.matcher(line);
                        if (m.find()) {
                            executors.add(m.group(1));
                        }
                    }
                }
            }
        }
        return executors;
    }

    private Path trainsAcrossBothExecutors(String master, String... properties) throws Exception {
        String output = hdfs.uri("/models/" + master);
        Path events = Files.createDirectories(cluster.home().resolve("events-" + master));
        Path log = cluster.home().resolve("submit-" + master + ".log");
        int status = launch(jobArgs(output, master), testProperties(events, properties), log);
        String tail = String.join("\n", Files.readAllLines(log).stream()
                .skip(Math.max(0, Files.readAllLines(log).size() - 40)).toList());
        assertEquals(0, status, "spark-submit exit status; log tail:\n" + tail);
        assertTrue(tail.contains("Final validation accuracy after epoch 2"), tail);
        FileSystem fs = hdfs.fileSystem();
        for (String f : List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.METRICS, ModelStore.SUCCESS)) {
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(output, f)), output + "/" + f);
        }
        assertEquals(Set.of("0", "1"), trainingExecutors(events), "tasks ran in both executor JVMs");
        return events;
    }

    /**
     * Gradient sharing's updates crossed between the executor JVMs: each executor's log names its own node, and
     * each received updates from the other's (logged by GradientTrafficListener on the executors).
     */
    private void updatesCrossedBetweenExecutors(Path events) throws Exception {
        String appId = appId(events);
        Pattern self = Pattern.compile("this executor is node (\\S+)");
        Pattern from = Pattern.compile("first update received from node (\\S+)");
        List<String> nodes = new ArrayList<>();
        List<Set<String>> heardFrom = new ArrayList<>();
        for (Path log : cluster.executorLogs()) {
            if (!log.toString().contains(appId)) {
                continue;
            }
            String text = Files.readString(log);
            Matcher m = self.matcher(text);
            if (!m.find()) {
                continue;
            }
            nodes.add(m.group(1));
            Set<String> senders = new TreeSet<>();
            for (Matcher f = from.matcher(text); f.find(); ) {
                senders.add(f.group(1));
            }
            heardFrom.add(senders);
        }
        assertEquals(2, nodes.size(), "two executor JVMs took part in gradient sharing: " + nodes);
        assertTrue(!nodes.get(0).equals(nodes.get(1)), "two distinct nodes: " + nodes);
        assertTrue(heardFrom.get(0).contains(nodes.get(1)), nodes.get(0) + " received updates from " + nodes.get(1)
                + "; it heard from " + heardFrom.get(0));
        assertTrue(heardFrom.get(1).contains(nodes.get(0)), nodes.get(1) + " received updates from " + nodes.get(0)
                + "; it heard from " + heardFrom.get(1));
    }

    /** How a run ended whose executor 0 was killed during epoch 2 of 4. */
    private record KilledRun(String output, int status, String tail) {
    }

    private KilledRun killAnExecutorInEpochTwo(String master) throws Exception {
        String output = hdfs.uri("/models/killed-" + master);
        Path events = Files.createDirectories(cluster.home().resolve("events-killed-" + master));
        Path log = cluster.home().resolve("submit-killed-" + master + ".log");
        List<String> args = new ArrayList<>(jobArgs(output, master));
        args.set(args.indexOf("--epochs") + 1, "4");
        Process job = start(args, testProperties(events), log);
        FileSystem fs = hdfs.fileSystem();
        org.apache.hadoop.fs.Path firstCheckpoint = new org.apache.hadoop.fs.Path(output + "/checkpoints/epoch-0001");
        long deadline = System.currentTimeMillis() + 300_000;
        while (!fs.exists(firstCheckpoint) && job.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(fs.exists(firstCheckpoint), "epoch 1 finished before the kill");
        assertTrue(cluster.killExecutorOf(0), "an executor JVM was killed in epoch 2");

        int status = await(job, log); // never a hang: await fails after 600 s
        List<String> lines = Files.readAllLines(log);
        return new KilledRun(output, status, String.join("\n", lines.subList(Math.max(0, lines.size() - 30),
                lines.size())));
    }

    /**
     * Each executor's process was restricted to the GPUs its Worker assigned it (GpuBindingPlugin: the CUDA
     * environment read back from libc), and gradient sharing ran one worker per GPU.
     */
    private void executorsWereBoundToTheirGpus(Path events) throws Exception {
        String appId = appId(events);
        Set<String> bindings = new TreeSet<>();
        Pattern bound = Pattern.compile("bound to GPU\\(s\\) \\[([0-9, ]+)\\]: CUDA_VISIBLE_DEVICES=(\\S+)");
        for (Path log : cluster.executorLogs()) {
            if (log.toString().contains(appId)) {
                for (Matcher m = bound.matcher(Files.readString(log)); m.find(); ) {
                    bindings.add(m.group(1) + " -> " + m.group(2));
                }
            }
        }
        assertEquals(Set.of("0, 1 -> 0,1", "2, 3 -> 2,3"), bindings, "each executor bound to its Worker's GPUs");
        String driverLog = Files.readString(cluster.home().resolve("submit-gradient-sharing.log"));
        assertTrue(driverLog.contains("gradient sharing: 2 worker(s) per executor (2 GPU(s) per executor)"),
                "one worker per GPU");
    }

    private static String appId(Path events) throws Exception {
        try (Stream<Path> logs = Files.list(events)) {
            return logs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("app-")).findFirst()
                    .orElseThrow();
        }
    }

    /** A failed run left a resumable checkpoint and no model. */
    private void failedResumably(KilledRun run) throws Exception {
        FileSystem fs = hdfs.fileSystem();
        assertTrue(run.tail().contains("Error:"), run.tail());
        assertTrue(new ModelStore(run.output(), fs.getConf()).latestCheckpoint().isPresent(), run.tail());
        assertTrue(!fs.exists(new org.apache.hadoop.fs.Path(run.output(), ModelStore.MODEL)),
                "no model published by a failed run");
    }

    @Test
    void anExecutorKilledMidRunNeitherHangsTheJobNorLosesTheModel() throws Exception {
        KilledRun run = killAnExecutorInEpochTwo("parameter-averaging");
        FileSystem fs = hdfs.fileSystem();
        if (run.status() == 0) {
            // Spark retried the lost tasks on a new executor: the run finished and published
            assertTrue(fs.exists(new org.apache.hadoop.fs.Path(run.output(), ModelStore.SUCCESS)), run.tail());
            new ModelStore(run.output(), fs.getConf()).readModel(new org.apache.hadoop.fs.Path(run.output(),
                    ModelStore.MODEL));
        } else {
            failedResumably(run);
        }
    }

    /**
     * Gradient sharing cannot go on without a lost node (DL4J's mesh would hang): the run stops at once, naming the
     * lost executor and the checkpoint, and a --resume run finishes from that checkpoint.
     */
    @Test
    void anExecutorKilledUnderGradientSharingStopsTheRunResumably() throws Exception {
        KilledRun run = killAnExecutorInEpochTwo("gradient-sharing");
        assertTrue(run.status() != 0, "the run cannot finish without the lost node:\n" + run.tail());
        assertTrue(run.tail().contains("was lost in epoch 2") && run.tail().contains("--resume"), run.tail());
        failedResumably(run);

        Path events = Files.createDirectories(cluster.home().resolve("events-resumed"));
        Path log = cluster.home().resolve("submit-resumed.log");
        int status = launch(List.of("train", "--input", input, "--output", run.output(), "--resume"),
                testProperties(events), log);
        List<String> lines = Files.readAllLines(log);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        assertEquals(0, status, tail);
        assertTrue(tail.contains("Final validation accuracy after epoch 4"), tail);
        assertTrue(hdfs.fileSystem().exists(new org.apache.hadoop.fs.Path(run.output(), ModelStore.SUCCESS)), tail);
    }

    @Test
    void parameterAveragingAcrossTwoExecutorJvms() throws Exception {
        trainsAcrossBothExecutors("parameter-averaging");
    }

    @Test
    void gradientSharingAcrossTwoExecutorJvms() throws Exception {
        // each executor asks for two GPUs: the Workers' discovery scripts report fake ones
        Path events = trainsAcrossBothExecutors("gradient-sharing", "spark.executor.resource.gpu.amount=2",
                "spark.task.resource.gpu.amount=2");
        updatesCrossedBetweenExecutors(events);
        executorsWereBoundToTheirGpus(events);
    }
}
