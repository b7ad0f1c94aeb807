package io.seresnext.job.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which stored images make up each minibatch. An epoch's training batches are runs of consecutive images drawn
 * from random shards (so every epoch mixes images differently while each read stays one contiguous range);
 * evaluation reads each shard front to back. A batch is named by a descriptor URI that a {@link ShardBatchLoader}
 * on an executor turns into a DataSet, so that DL4J's path-based training ships only these short strings.
 */
public final class BatchPlan {

    /** Consecutive records {@code [start, start + count)} of one shard. */
    public record Run(String shard, int start, int count) {
    }

    /** A parsed descriptor; {@code epoch < 0} means evaluation (centre crop, no flip). */
    public record Batch(String directory, String split, int epoch, List<Run> runs) {
        public int size() {
            return runs.stream().mapToInt(Run::count).sum();
        }
    }

    private BatchPlan() {
    }

    /** One epoch of training batches of about {@code batchSize} images, reshuffled by epoch. */
    public static List<String> trainingEpoch(ShardManifest manifest, String split, int epoch, int batchSize,
                                             int runLength, long seed) {
        List<Run> runs = new ArrayList<>();
        for (ShardManifest.Shard s : manifest.shards(split)) {
            for (int start = 0; start < s.count(); start += runLength) {
                runs.add(new Run(s.name(), start, Math.min(runLength, s.count() - start)));
            }
        }
        Collections.shuffle(runs, new Random(seed * 1_000_003L + epoch));
        List<List<Run>> batches = new ArrayList<>();
        List<Run> current = new ArrayList<>();
        int filled = 0;
        for (Run run : runs) {
            while (run != null) {
                int take = Math.min(run.count(), batchSize - filled);
                current.add(new Run(run.shard(), run.start(), take));
                filled += take;
                run = take < run.count() ? new Run(run.shard(), run.start() + take, run.count() - take) : null;
                if (filled == batchSize) {
                    batches.add(current);
                    current = new ArrayList<>();
                    filled = 0;
                }
            }
        }
        if (!current.isEmpty()) {
            // a short tail batch joins the previous one: tiny batches make batch-norm statistics noise
            if (filled < batchSize / 2 && !batches.isEmpty()) {
                batches.get(batches.size() - 1).addAll(current);
            } else {
                batches.add(current);
            }
        }
        List<String> out = new ArrayList<>(batches.size());
        for (List<Run> b : batches) {
            out.add(descriptor(manifest.directory(), split, epoch, b));
        }
        return out;
    }

    /** Every image of the split once, in stored order. */
    public static List<String> evaluation(ShardManifest manifest, String split, int batchSize) {
        List<String> out = new ArrayList<>();
        for (ShardManifest.Shard s : manifest.shards(split)) {
            for (int start = 0; start < s.count(); start += batchSize) {
                out.add(descriptor(manifest.directory(), split, -1,
                        List.of(new Run(s.name(), start, Math.min(batchSize, s.count() - start)))));
            }
        }
        return out;
    }

    /** The descriptor of one batch made by hand (benchmarks, tools); {@code epoch < 0} for evaluation. */
    public static String descriptorFor(String directory, String split, int epoch, List<Run> runs) {
        return descriptor(directory, split, epoch, runs);
    }

    static String descriptor(String directory, String split, int epoch, List<Run> runs) {
        StringBuilder sb = new StringBuilder(directory).append('/').append(split).append(".batch?e=").append(epoch)
                .append("&r=");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            sb.append(i == 0 ? "" : ",").append(r.shard()).append(':').append(r.start()).append(':')
                    .append(r.count());
        }
        return sb.toString();
    }

    public static Batch parse(String descriptor) {
        int q = descriptor.lastIndexOf('?');
        int slash = descriptor.lastIndexOf('/', q);
        if (q < 0 || slash < 0 || !descriptor.startsWith(".batch", descriptor.indexOf('.', slash))) {
            throw new IllegalArgumentException("not a batch descriptor: " + descriptor);
        }
        String directory = descriptor.substring(0, slash);
        String split = descriptor.substring(slash + 1, descriptor.indexOf(".batch", slash));
        int epoch = 0;
        List<Run> runs = new ArrayList<>();
        for (String param : descriptor.substring(q + 1).split("&")) {
            if (param.startsWith("e=")) {
                epoch = Integer.parseInt(param.substring(2));
            } else if (param.startsWith("r=")) {
                for (String r : param.substring(2).split(",")) {
                    String[] p = r.split(":");
                    runs.add(new Run(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2])));
                }
            }
        }
        return new Batch(directory, split, epoch, runs);
    }
}
