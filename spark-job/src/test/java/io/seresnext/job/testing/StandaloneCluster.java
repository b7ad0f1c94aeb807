package io.seresnext.job.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on loopback: a Master and Workers, each in its own JVM, started from a
 * {@link SparkDistribution} of the jars the project builds against.
 */
public final class StandaloneCluster implements AutoCloseable {

    private final SparkDistribution distribution;
    private final int port;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> javaOptions;

    public StandaloneCluster(int workers, int coresPerWorker, String workerMemory) throws IOException,
            InterruptedException {
        distribution = new SparkDistribution();
        javaOptions = SparkDistribution.javaOptions();
        port = freePort();
        start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(freePort())));
        for (int i = 0; i < workers; i++) {
            start("worker" + i, List.of("org.apache.spark.deploy.worker.Worker", masterUrl(), "--host",
                    "127.0.0.1", "--cores", String.valueOf(coresPerWorker), "--memory", workerMemory,
                    "--webui-port", String.valueOf(freePort()), "--work-dir", home().resolve("work" + i).toString()));
        }
        Thread.sleep(8000); // workers register with the master
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

    private void start(String name, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(SparkDistribution.javaBin(), "-Xmx512m"));
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", distribution.jars() + "/*"));
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home().resolve(name + ".log").toFile());
        pb.environment().putAll(environment());
        processes.add(pb.start());
    }

    public java.util.Map<String, String> environment() {
        return distribution.environment();
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
