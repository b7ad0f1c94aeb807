package io.seresnext.job.bench;

import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.testing.ClusterRuns;
import io.seresnext.job.testing.StandaloneCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * The soak: the tiny model trained for many epochs under parameter averaging on a standalone cluster of two
 * executor JVMs on this machine, one executor killed (SIGKILL) every few epochs. Prints the driver's and each
 * executor's resident memory when each epoch ends, the kills, and how the run ended. Run by submit/soak.sh; a
 * command that prints figures, not a test.
 */
public final class SoakBenchmark {

    private static final Path ROOT = Path.of(System.getProperty("seresnext.root", ".")).toAbsolutePath().normalize();
    private static final Pattern EPOCH_LINE = Pattern.compile("epoch (\\d+)/(\\d+): ");

    record Sample(int epoch, long driverMb, List<String> executorsMb, String event) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of("--epochs", "30", "--kill-every", "5", "--full-gc-every", "0"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!o.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + o.keySet());
            }
            o.put(args[i], args[i + 1]);
        }
        int epochs = Integer.parseInt(o.get("--epochs"));
        int killEvery = Integer.parseInt(o.get("--kill-every"));
        int fullGcEvery = Integer.parseInt(o.get("--full-gc-every"));
        Path work = Files.createTempDirectory("soak");
        System.out.println("work directory: " + work);
        String input = work.resolve("shapes").toUri().toString();
        DemoDataset.write(input, new Configuration(), 3, 40, 10, 1);
        String output = work.resolve("out").toUri().toString();

        try (StandaloneCluster cluster = new StandaloneCluster(1, "3g", List.of(List.of(), List.of()))) {
            Path props = work.resolve("cluster.properties");
            List<String> lines = new ArrayList<>(List.of("spark.driver.host=127.0.0.1",
                    "spark.driver.bindAddress=127.0.0.1", "spark.executor.memory=1g", "spark.executor.cores=1",
                    "spark.cores.max=2", "spark.driver.memory=1g", "spark.ui.enabled=false",
                    "spark.executorEnv.OMP_NUM_THREADS=1"));
            lines.addAll(ClusterRuns.MEMORY_CAPS);
            Files.writeString(props, String.join("\n", lines) + "\n");
            List<String> job = new ArrayList<>(ClusterRuns.tinyJob(input, output, "parameter-averaging"));
            job.set(job.indexOf("--epochs") + 1, String.valueOf(epochs));
            Map<String, String> env = new HashMap<>(cluster.environment());
            env.put("SPARK_MASTER", cluster.masterUrl());
            env.put("SPARK_PROPERTIES", props.toString());
            Path log = work.resolve("train.log");
            Process run = ClusterRuns.start(ROOT.resolve("submit/standalone.sh"), job, env, log);

            List<Sample> samples = new ArrayList<>();
            int seen = 0;
            int kills = 0;
            long deadline = System.nanoTime() + 3600L * 1_000_000_000L;
            while (run.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(500);
                for (int epoch : newEpochs(log, seen)) {
                    seen = epoch;
                    String event = "";
                    if (epoch % killEvery == 0 && epoch < epochs) {
                        int worker = kills++ % 2;
                        event = cluster.killExecutorOf(worker) ? "executor of worker " + worker + " killed"
                                : "no executor on worker " + worker + " to kill";
                    }
                    Map<Long, String> executors = new TreeMap<>();
                    for (long pid : executorPids(cluster.home())) {
                        executors.put(pid, executorSample(pid));
                    }
                    if (fullGcEvery > 0 && epoch % fullGcEvery == 0) {
                        appendAfterFullGc(executors);
                    }
                    samples.add(new Sample(epoch, driverRssMb(run), List.copyOf(executors.values()), event));
                }
            }
            if (run.isAlive()) {
                run.destroyForcibly();
            }
            int status = run.waitFor();
            System.out.println();
            System.out.println("| epoch | driver RSS (MB) | executors' RSS (MB, Java heap committed) | event |");
            System.out.println("| --- | --- | --- | --- |");
            for (Sample s : samples) {
                System.out.printf(Locale.ROOT, "| %d | %d | %s | %s |%n", s.epoch(), s.driverMb(),
                        String.join(", ", s.executorsMb()), s.event());
            }
            boolean published = Files.exists(work.resolve("out").resolve("_SUCCESS"));
            System.out.printf(Locale.ROOT, "%nexit status %d, %d of %d epochs, %d executors killed, model %s%n",
                    status, seen, epochs, kills, published ? "published" : "NOT published");
            System.out.println("logs: " + work);
        }
    }

    /** Epochs whose end the driver has logged since {@code seen}. */
    private static List<Integer> newEpochs(Path log, int seen) throws IOException {
        List<Integer> epochs = new ArrayList<>();
        if (!Files.exists(log)) {
            return epochs;
        }
        Matcher m = EPOCH_LINE.matcher(Files.readString(log));
        while (m.find()) {
            int epoch = Integer.parseInt(m.group(1));
            if (epoch > seen && !epochs.contains(epoch)) {
                epochs.add(epoch);
            }
        }
        return epochs;
    }

    /** The driver is the JVM running SparkSubmit under the launcher (client deploy mode). */
    private static long driverRssMb(Process launcher) {
        Optional<ProcessHandle> driver = java.util.stream.Stream.concat(java.util.stream.Stream.of(
                        launcher.toHandle()), launcher.toHandle().descendants())
                .filter(h -> h.info().commandLine().orElse("").contains("org.apache.spark.deploy.SparkSubmit"))
                .findFirst();
        return driver.map(h -> rssMb(h.pid())).orElse(-1L);
    }

    /** An executor JVM's process id, resident memory and the Java heap's committed part. */
    private static String executorSample(long pid) {
        return pid + ": " + rssMb(pid) + " (heap " + heapCommittedMb(pid) + ")";
    }

    /**
     * Forces a full collection in each executor sampled and appends its resident memory after it: ND4J's arrays are
     * freed only when the collector finds their Java objects unreachable, so memory that falls here was garbage
     * waiting for a collection, and memory that stays was retained; then trims glibc's heap, so memory that falls
     * only there was freed but kept by the allocator.
     */
    private static void appendAfterFullGc(Map<Long, String> samples) throws InterruptedException {
        for (long pid : samples.keySet()) {
            jcmd(pid, "GC.run");
        }
        Thread.sleep(2000); // JavaCPP's deallocator thread frees what the collection enqueued
        samples.replaceAll((pid, sample) -> {
            long afterGc = rssMb(pid);
            jcmd(pid, "System.trim_native_heap"); // what glibc still keeps of the freed memory goes back
            return sample + ", after a full GC " + afterGc + ", trimmed " + rssMb(pid);
        });
    }

    private static List<Long> executorPids(Path clusterHome) {
        return ProcessHandle.allProcesses().filter(h -> {
            String cmd = h.info().commandLine().orElse("");
            return cmd.contains("CoarseGrainedExecutorBackend") && cmd.contains(clusterHome.toString());
        }).map(ProcessHandle::pid).toList();
    }

    private static String jcmd(long pid, String command) {
        try {
            Process jcmd = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes());
            jcmd.waitFor();
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static final Pattern HEAP = Pattern.compile("heap\\s+total (\\d+)K");

    /** What the JVM has committed to its Java heap (jcmd GC.heap_info), to tell heap growth from native growth. */
    private static long heapCommittedMb(long pid) {
        Matcher m = HEAP.matcher(jcmd(pid, "GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) / 1024 : -1;
    }

    private static long rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            return -1; // the process ended between listing and reading
        }
        return -1;
    }
}
