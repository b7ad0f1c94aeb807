package io.seresnext.job.bench;

import io.seresnext.job.cli.Command;
import io.seresnext.job.train.NativeHeapTuning;
import io.seresnext.model.ParameterCount;
import io.seresnext.model.SeResNeXtGraph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * Training-step throughput of one model in this JVM, measured as {@code submit/reference/bench_torch.py} measures
 * PyTorch: synthetic data, one SGD-with-momentum step (forward, cross-entropy, backward, update) per minibatch,
 * median images/sec over the timed steps after warm-up, and the process's peak RSS; also DL4J's workspace sizes
 * and, on request, what a full GC after each step gives back. Forward-only mode times inference instead, as
 * {@code predict} runs it, so that predict's throughput per core can be set against the bare network's.
 */
public final class ModelBenchmark {

    private ModelBenchmark() {
    }

    public static Map<String, Object> run(Command.BenchModel b) throws IOException {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(b.spec(),
                new NeuralNetConfiguration.Builder().seed(0).dataType(DataType.FLOAT)
                        .updater(new Nesterovs(0.01, 0.9)).weightInit(WeightInit.RELU)));
        net.init();
        net.setListeners(new NativeHeapTuning()); // as in training: see NativeHeapTuning
        Nd4j.getRandom().setSeed(0);
        INDArray x = Nd4j.randn(DataType.FLOAT, b.batch(), b.spec().inputChannels(), b.spec().inputHeight(),
                b.spec().inputWidth());
        INDArray y = Nd4j.zeros(DataType.FLOAT, b.batch(), b.spec().numClasses());
        for (int i = 0; i < b.batch(); i++) {
            y.putScalar(i, (i * 7919) % b.spec().numClasses(), 1f);
        }
        MultiDataSet data = new MultiDataSet(x, y);

        List<Double> seconds = new ArrayList<>();
        List<Double> freedByGc = new ArrayList<>();
        long cpu0 = 0;
        long wall0 = 0;
        long gcNanos = 0;
        for (int i = 0; i < b.warmupSteps() + b.timedSteps(); i++) {
            if (i == b.warmupSteps()) {
                cpu0 = processCpuNanos();
                wall0 = System.nanoTime();
            }
            long t = System.nanoTime();
            if (b.forwardOnly()) {
                net.outputSingle(false, x); // inference mode: batch norm uses its running statistics
            } else {
                net.fit(data);
            }
            if (i >= b.warmupSteps()) {
                seconds.add((System.nanoTime() - t) / 1e9);
                if (b.gcEachStep()) {
                    long g = System.nanoTime();
                    freedByGc.add(residentMbAfterGc());
                    gcNanos += System.nanoTime() - g;
                }
            }
        }
        double cpuUtil = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0 - gcNanos);
        double median = Medians.of(seconds);

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", b.spec().name());
        r.put("form", b.form().name().toLowerCase());
        r.put("mode", b.forwardOnly() ? "forward-only" : "train-step");
        r.put("params", ParameterCount.trainable(net.getConfiguration()));
        r.put("input", List.of(b.batch(), b.spec().inputChannels(), b.spec().inputHeight(), b.spec().inputWidth()));
        r.put("warmup_steps", b.warmupSteps());
        r.put("timed_steps", b.timedSteps());
        r.put("step_s_median", round(median, 4));
        r.put("imgs_per_s_median", round(b.batch() / median, 2));
        r.put("imgs_per_s_min", round(b.batch() / Collections.max(seconds), 2));
        r.put("imgs_per_s_max", round(b.batch() / Collections.min(seconds), 2));
        r.put("peak_rss_mb", round(statusKb("VmHWM:") / 1024.0, 1));
        r.put("rss_mb_end", round(statusKb("VmRSS:") / 1024.0, 1));
        r.put("workspaces_mb", workspacesMb());
        if (b.gcEachStep()) {
            r.put("rss_mb_freed_by_gc_median", round(Medians.of(freedByGc), 1));
        }
        r.put("cpu_util", round(cpuUtil, 2));
        if (!b.forwardOnly()) {
            r.put("loss", round(net.score(), 4));
        }
        r.put("threads", Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS",
                String.valueOf(Runtime.getRuntime().availableProcessors()))));
        r.put("backend", Nd4j.getBackend().getClass().getSimpleName());
        r.put("cpu_count", Runtime.getRuntime().availableProcessors());
        r.put("date", OffsetDateTime.now().toString());
        return r;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** CPU time of the whole process (all threads, native ones included), from /proc. */
    private static long processCpuNanos() throws IOException {
        String[] f = Files.readString(Path.of("/proc/self/stat")).replaceFirst("^.*\\) ", "").split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
        return ticks * 10_000_000L; // USER_HZ = 100
    }

    /** A /proc/self/status memory field in KiB: VmHWM (peak resident set) or VmRSS, heap and off-heap alike. */
    private static long statusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /**
     * Resident memory a full GC gives back, in MB: ND4J frees arrays allocated outside workspaces only once their
     * Java objects are collected, so this is what a periodic GC could save. The wait lets ND4J's deallocator
     * threads free what the collection queued.
     */
    private static double residentMbAfterGc() throws IOException {
        long before = statusKb("VmRSS:");
        System.gc();
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return (before - statusKb("VmRSS:")) / 1024.0;
    }

    /** This thread's ND4J workspaces (DL4J's training workspaces) by name, in MB, largest first. */
    private static Map<String, Long> workspacesMb() {
        List<MemoryWorkspace> all = new ArrayList<>(Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread());
        all.sort((a, c) -> Long.compare(c.getCurrentSize(), a.getCurrentSize()));
        Map<String, Long> mb = new LinkedHashMap<>();
        for (MemoryWorkspace w : all) {
            mb.put(w.getId(), w.getCurrentSize() >> 20);
        }
        return mb;
    }
}
