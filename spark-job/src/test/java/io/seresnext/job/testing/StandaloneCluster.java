package io.seresnext.job.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on loopback: a Master and Workers, each in its own JVM, started from a
 * {@link SparkDistribution} of the jars the project builds against. Spark's authentication and RPC encryption are on:
 * the Master and the Workers read the cluster's secret file as a user starts them ({@code --properties-file}), and
 * {@link #environment()} names it to submit/standalone.sh ({@code SPARK_AUTH_SECRET_FILE}).
 */
public final class StandaloneCluster implements AutoCloseable {

    private final SparkDistribution distribution;
    private final int port;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> javaOptions;
    private final Path secretFile;

    /**
     * @param fakeGpus per Worker, the GPU addresses it offers (empty: none). On this CPU machine a fake
     *                 {@code nvidia-smi} reports them to the project's discovery script, submit/gpu/discover-gpus.sh.
     */
    public StandaloneCluster(int coresPerWorker, String workerMemory, List<List<String>> fakeGpus)
            throws IOException, InterruptedException {
        distribution = new SparkDistribution();
        javaOptions = SparkDistribution.javaOptions();
        port = freePort();
        secretFile = writeSecretFile(home().resolve("auth.properties"));
        start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(freePort()), "--properties-file",
                secretFile.toString()), java.util.Map.of());
        for (int i = 0; i < fakeGpus.size(); i++) {
            List<String> gpus = fakeGpus.get(i);
            List<String> command = new ArrayList<>();
            java.util.Map<String, String> env = new java.util.HashMap<>();
            if (!gpus.isEmpty()) {
                command.addAll(List.of("-Dspark.worker.resource.gpu.amount=" + gpus.size(),
                        "-Dspark.worker.resource.gpu.discoveryScript=" + DISCOVERY_SCRIPT));
                env.put("PATH", fakeNvidiaSmi(i, gpus) + ":" + System.getenv("PATH"));
            }
            command.addAll(List.of("org.apache.spark.deploy.worker.Worker", masterUrl(), "--host",
                    "127.0.0.1", "--cores", String.valueOf(coresPerWorker), "--memory", workerMemory,
                    "--webui-port", String.valueOf(freePort()), "--work-dir", home().resolve("work" + i).toString(),
                    "--properties-file", secretFile.toString()));
            start("worker" + i, command, env);
        }
        awaitWorkers(fakeGpus.size());
    }

    /** The secret file README's Security section asks for: Spark's properties, readable by its owner only. */
    private static Path writeSecretFile(Path file) throws IOException {
        byte[] secret = new byte[32];
        new java.security.SecureRandom().nextBytes(secret);
        java.nio.file.Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(file, String.join("\n", "spark.authenticate=true",
                "spark.network.crypto.enabled=true", "spark.authenticate.secret=" + java.util.HexFormat.of()
                        .formatHex(secret), ""));
        return file;
    }

    /** Until the Master has registered every Worker: with authentication, a connection's start takes seconds. */
    private void awaitWorkers(int workers) throws IOException, InterruptedException {
        Path log = home().resolve("master.log");
        long deadline = System.currentTimeMillis() + 120_000;
        while (true) {
            long registered = java.nio.file.Files.readAllLines(log).stream()
                    .filter(line -> line.contains("Registering worker")).count();
            if (registered >= workers) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                close();
                throw new IllegalStateException(registered + " of " + workers + " Workers registered in 120 s; see "
                        + home());
            }
            Thread.sleep(500);
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    public Path home() {
        return distribution.home();
    }

    /** The JVM options every process of the cluster (and the driver) needs: Java 17's module openings. */
    public List<String> javaOptions() {
        return javaOptions;
    }

    /** Kills (SIGKILL) one executor JVM of the given worker, as a lost machine would; false if it has none. */
    public boolean killExecutorOf(int worker) {
        Process w = processes.get(1 + worker);
        return w.toHandle().descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .findFirst().map(ProcessHandle::destroyForcibly).orElse(false);
    }

    /** The stderr logs of every executor the Workers have launched ({@code work<i>/<app>/<executor>/stderr}). */
    public List<Path> executorLogs() throws IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(home())) {
            return files.filter(f -> f.getFileName().toString().equals("stderr"))
                    .filter(f -> f.getParent().getParent().getFileName().toString().startsWith("app-")).sorted().toList();
        }
    }

    private static final Path DISCOVERY_SCRIPT = Path.of("../submit/gpu/discover-gpus.sh").toAbsolutePath()
            .normalize();

    /** A directory with an {@code nvidia-smi} that lists these GPU indices, as the discovery script queries it. */
    private Path fakeNvidiaSmi(int worker, List<String> gpus) throws IOException {
        Path bin = java.nio.file.Files.createDirectories(home().resolve("fake-gpus-" + worker));
        Path smi = bin.resolve("nvidia-smi");
        java.nio.file.Files.writeString(smi, "#!/usr/bin/env bash\nprintf '%s\\n' " + String.join(" ", gpus) + "\n");
        smi.toFile().setExecutable(true);
        return bin;
    }

    private void start(String name, List<String> mainAndArgs, java.util.Map<String, String> env)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(SparkDistribution.javaBin(), "-Xmx512m"));
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", distribution.jars() + "/*"));
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home().resolve(name + ".log").toFile());
        pb.environment().putAll(distribution.environment());
        pb.environment().putAll(env);
        processes.add(pb.start());
    }

    /** What spark-submit and submit/standalone.sh need to reach this cluster: the distribution and the secret file. */
    public java.util.Map<String, String> environment() {
        java.util.Map<String, String> env = new java.util.HashMap<>(distribution.environment());
        env.put("SPARK_AUTH_SECRET_FILE", secretFile.toString());
        return env;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        processes.forEach(Process::destroy);
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
