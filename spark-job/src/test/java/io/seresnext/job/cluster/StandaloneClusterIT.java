package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.ClusterRuns;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.job.testing.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * master trains across both executor JVMs and publishes the model. Spark's authentication and RPC encryption are on
 * throughout, as the shipped presets set them (StandaloneCluster).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneClusterIT {

    private static final Path LAUNCHER = Path.of("../submit/standalone.sh").toAbsolutePath().normalize();

    private MiniHdfs hdfs;
    private StandaloneCluster cluster;
    private String input;

    @BeforeAll
    void start() throws Exception {
        ClusterRuns.requireClusterJar();
        hdfs = new MiniHdfs();
        input = ClusterRuns.writeShapesDataset(hdfs);
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
                String.join("\n", ClusterRuns.MEMORY_CAPS), String.join("\n", more), ""));
        return file;
    }

    private List<String> jobArgs(String output, String master) {
        return ClusterRuns.tinyJob(input, output, master);
    }

    /** submit/standalone.sh, as a user runs it, against the test cluster. */
    private int launch(List<String> jobArgs, Path properties, Path log) throws Exception {
        return ClusterRuns.await(start(jobArgs, properties, log), log);
    }

    private Process start(List<String> jobArgs, Path properties, Path log) throws Exception {
        Map<String, String> env = new HashMap<>(cluster.environment());
        env.put("SPARK_MASTER", cluster.masterUrl());
        env.put("SPARK_PROPERTIES", properties.toString());
        return ClusterRuns.start(LAUNCHER, jobArgs, env, log);
    }

    /**
     * Executor IDs that ran tasks of the training jobs (job group {@code epoch-N-train}), from the application's
     * event log; listing, shard building, evaluation and batch-norm tasks do not count.
     */
    private static Set<String> trainingExecutors(Path events) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Set<Integer> trainingStages = new java.util.HashSet<>();
        List<com.fasterxml.jackson.databind.JsonNode> taskEnds = new ArrayList<>();
        try (Stream<Path> logs = Files.list(events)) {
            for (Path log : logs.toList()) {
                for (String line : Files.readAllLines(log)) {
                    com.fasterxml.jackson.databind.JsonNode event = json.readTree(line);
                    String type = event.path("Event").asText();
                    if (type.equals("SparkListenerJobStart") && event.path("Properties")
                            .path("spark.jobGroup.id").asText().matches("epoch-\\d+-train")) {
                        event.path("Stage IDs").forEach(id -> trainingStages.add(id.asInt()));
                    } else if (type.equals("SparkListenerTaskEnd")) {
                        taskEnds.add(event);
                    }
                }
            }
        }
        assertFalse(trainingStages.isEmpty(), "no training job in the event log");
        Set<String> executors = new TreeSet<>();
        for (com.fasterxml.jackson.databind.JsonNode end : taskEnds) {
            if (trainingStages.contains(end.path("Stage ID").asInt())) {
                executors.add(end.path("Task Info").path("Executor ID").asText());
            }
        }
        return executors;
    }

    private Path trainsAcrossBothExecutors(String master, String... properties) throws Exception {
        return trainsAcrossBothExecutors(master, jobArgs(hdfs.uri("/models/" + master), master), 2, properties);
    }

    private Path trainsAcrossBothExecutors(String master, List<String> job, int epochs, String... properties)
            throws Exception {
        String output = job.get(job.indexOf("--output") + 1);
        Path events = Files.createDirectories(cluster.home().resolve("events-" + master));
        Path log = cluster.home().resolve("submit-" + master + ".log");
        int status = launch(job, testProperties(events, properties), log);
        String tail = ClusterRuns.tail(log, 40);
        assertEquals(0, status, "spark-submit exit status; log tail:\n" + tail);
        assertTrue(tail.contains("Final validation accuracy after epoch " + epochs), tail);
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

        int status = ClusterRuns.await(job, log); // never a hang: await fails after 600 s
        return new KilledRun(output, status, ClusterRuns.tail(log, 30));
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

    /**
     * Parameter averaging's tasks are independent between averaging rounds, so Spark retries the lost executor's
     * tasks on a live one and the run finishes as if nothing had happened: that is the guarantee, not merely a
     * resumable failure.
     */
    @Test
    void anExecutorKilledUnderParameterAveragingIsRetriedAndTheRunFinishes() throws Exception {
        KilledRun run = killAnExecutorInEpochTwo("parameter-averaging");
        FileSystem fs = hdfs.fileSystem();
        assertEquals(0, run.status(), "Spark should have retried the lost tasks:\n" + run.tail());
        assertTrue(run.tail().contains("Final validation accuracy after epoch 4"), run.tail());
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(run.output(), ModelStore.SUCCESS)), run.tail());
        new ModelStore(run.output(), fs.getConf()).readModel(new org.apache.hadoop.fs.Path(run.output(),
                ModelStore.MODEL));
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
        String tail = ClusterRuns.tail(log, 30);
        assertEquals(0, status, tail);
        assertTrue(tail.contains("Final validation accuracy after epoch 4"), tail);
        assertTrue(hdfs.fileSystem().exists(new org.apache.hadoop.fs.Path(run.output(), ModelStore.SUCCESS)), tail);
    }

    /**
     * A client without the cluster's secret is refused by the Master: spark-submit with Spark's authentication off,
     * in standalone cluster deploy mode (its client exits with the Master's answer, where client mode would retry for
     * a minute). The message is the Master's refusal (its authentication handler's), which a Master without
     * authentication never sends.
     */
    @Test
    void aClientWithoutTheSecretIsRefusedByTheMaster() throws Exception {
        Path log = cluster.home().resolve("submit-without-secret.log");
        Map<String, String> env = new HashMap<>(cluster.environment());
        env.remove("SPARK_AUTH_SECRET_FILE");
        Process client = ClusterRuns.start(cluster.home().resolve("bin/spark-submit"), List.of("--master",
                cluster.masterUrl(), "--deploy-mode", "cluster", "--class", "io.seresnext.job.Main",
                Path.of("target/spark-job-cluster.jar").toAbsolutePath().toString(), "models"), env, log);
        int status = ClusterRuns.await(client, log, 120);
        String output = Files.readString(log);
        assertEquals(1, status, output);
        assertTrue(output.contains("Expected SaslMessage, received something else"), output);
    }

    @Test
    void parameterAveragingAcrossTwoExecutorJvms() throws Exception {
        trainsAcrossBothExecutors("parameter-averaging");
    }

    /**
     * Below this validation top-1 the gradient-sharing model has not learnt: the test's 60 validation images are
     * three balanced classes, so a model that ignores its input scores 33 %, and a random guess reaches 55 % with
     * probability about 5e-4. The run is seeded (data, initialisation, batches); only the timing of the workers'
     * updates varies.
     */
    static final double LEARNT_FLOOR = 0.55;

    @Test
    void gradientSharingAcrossTwoExecutorJvmsLearns() throws Exception {
        // a dataset of its own, large enough for a model that learnt to stand clear of chance
        String shapes = hdfs.uri("/data/shapes-gs");
        DemoDataset.write(shapes, hdfs.fileSystem().getConf(), 3, 60, 20, 2);
        List<String> job = new ArrayList<>(ClusterRuns.tinyJob(shapes, hdfs.uri("/models/gradient-sharing"),
                "gradient-sharing"));
        job.set(job.indexOf("--epochs") + 1, "5");
        job.set(job.indexOf("train.learning-rate=0.05"), "train.learning-rate=0.1");
        // two executors with two (fake) GPUs each: four replicas, which the learning rate is shared among
        job.set(job.indexOf("training-master.workers=2"), "training-master.workers=4");
        Path events = trainsAcrossBothExecutors("gradient-sharing", job, 5, "spark.executor.resource.gpu.amount=2",
                "spark.task.resource.gpu.amount=2");
        updatesCrossedBetweenExecutors(events);
        executorsWereBoundToTheirGpus(events);
        String log = Files.readString(cluster.home().resolve("submit-gradient-sharing.log"));
        Matcher top1 = Pattern.compile("Final validation accuracy after epoch 5: top-1 ([0-9.]+)%").matcher(log);
        assertTrue(top1.find(), "no final accuracy in the log");
        double accuracy = Double.parseDouble(top1.group(1)) / 100;
        assertTrue(accuracy >= LEARNT_FLOOR, "the published model learnt: validation top-1 " + accuracy
                + " against a floor of " + LEARNT_FLOOR + " (chance 0.33)");
    }
}
