package io.seresnext.job.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchPlanTest {

    private static final ShardManifest MANIFEST = new ShardManifest("hdfs://nn:8020/cache/v1-abc", "v1-abc",
            "hdfs://nn:8020/data", List.of("a", "b"), 36, 0, List.of(), List.of(
                    new ShardManifest.Shard("train", "train-00000.shard", 100, 0, "00000000"),
                    new ShardManifest.Shard("train", "train-00001.shard", 37, 0, "00000000"),
                    new ShardManifest.Shard("train", "train-00002.shard", 64, 0, "00000000"),
                    new ShardManifest.Shard("val", "val-00000.shard", 21, 0, "00000000")));

    private static Set<String> images(List<String> descriptors) {
        Set<String> seen = new HashSet<>();
        for (String d : descriptors) {
            for (BatchPlan.Run r : BatchPlan.parse(d).runs()) {
                for (int i = r.start(); i < r.start() + r.count(); i++) {
                    assertTrue(seen.add(r.shard() + "#" + i), "image read twice: " + r.shard() + "#" + i);
                }
            }
        }
        return seen;
    }

    @Test
    void anEpochReadsEveryTrainingImageOnceInFullBatches() {
        List<String> epoch = BatchPlan.trainingEpoch(MANIFEST, "train", 1, 32, 8, 7);
        assertEquals(201, images(epoch).size());
        for (int i = 0; i < epoch.size() - 1; i++) {
            assertEquals(32, BatchPlan.parse(epoch.get(i)).size());
        }
        int last = BatchPlan.parse(epoch.get(epoch.size() - 1)).size();
        assertTrue(last >= 16 && last < 48, "a short tail joins the previous batch: " + last);
    }

    @Test
    void everyEpochMixesDifferently() {
        assertNotEquals(BatchPlan.trainingEpoch(MANIFEST, "train", 1, 32, 8, 7),
                BatchPlan.trainingEpoch(MANIFEST, "train", 2, 32, 8, 7));
        assertEquals(BatchPlan.trainingEpoch(MANIFEST, "train", 3, 32, 8, 7),
                BatchPlan.trainingEpoch(MANIFEST, "train", 3, 32, 8, 7), "and the same epoch the same way");
        BatchPlan.Batch batch = BatchPlan.parse(BatchPlan.trainingEpoch(MANIFEST, "train", 1, 32, 8, 7).get(0));
        assertTrue(batch.runs().stream().map(BatchPlan.Run::shard).distinct().count() > 1,
                "a batch draws from several shards");
    }

    @Test
    void evaluationReadsEachValidationImageOnceWithoutAugmentation() {
        List<String> val = BatchPlan.evaluation(MANIFEST, "val", 8);
        assertEquals(21, images(val).size());
        assertEquals(3, val.size());
        BatchPlan.Batch b = BatchPlan.parse(val.get(2));
        assertEquals(-1, b.epoch());
        assertEquals("val", b.split());
        assertEquals("hdfs://nn:8020/cache/v1-abc", b.directory());
        assertEquals(List.of(new BatchPlan.Run("val-00000.shard", 16, 5)), b.runs());
    }

    @Test
    void descriptorsAreUrisOfTheCacheFilesystem() throws Exception {
        String d = BatchPlan.trainingEpoch(MANIFEST, "train", 1, 32, 8, 7).get(0);
        java.net.URI uri = new java.net.URI(d); // DL4J's path loader resolves the filesystem from it
        assertEquals("hdfs", uri.getScheme());
        assertEquals("nn:8020", uri.getAuthority());
    }
}
