package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.output.AtomicFiles;
import io.seresnext.job.output.Checksums;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.testing.MiniHdfs;
import io.seresnext.model.ModelSpec;
import io.seresnext.model.SeResNeXtGraph;
import io.seresnext.model.serving.Preprocessing;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.apache.hadoop.security.UserGroupInformation;
import java.security.PrivilegedExceptionAction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The output directory on real HDFS and on a local disk: atomic replacement, checkpoints, a crash mid-publish. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelStoreTest {

    private MiniHdfs hdfs;

    @BeforeAll
    void start() throws IOException {
        hdfs = new MiniHdfs();
    }

    @AfterAll
    void stop() {
        hdfs.close();
    }

    private static ComputationGraph tinyNetwork(long seed) {
        ModelSpec spec = io.seresnext.model.Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8)
                .withNumClasses(3);
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(spec,
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(seed)
                        .updater(new org.nd4j.linalg.learning.config.Nesterovs(0.1, 0.9))));
        net.init();
        return net;
    }

    private static final Preprocessing PREPROCESSING = new Preprocessing(10, 8, List.of(0.5f, 0.4f, 0.3f),
            List.of(0.2f, 0.25f, 0.5f), ModelStore.LABELS);

    private static TrainingState state(int epoch) {
        return new TrainingState(List.of("a", "b", "c"), "input = x", epoch, epoch * 10, List.of());
    }

    private void crashDuringPublishLeavesTheEarlierModel(String output) throws Exception {
        Configuration conf = new Configuration();
        ModelStore store = new ModelStore(output, conf);
        store.startRun(false);
        ComputationGraph earlier = tinyNetwork(1);
        store.publish(earlier, state(1), PREPROCESSING);
        Path model = new Path(store.root(), ModelStore.MODEL);
        FileSystem fs = model.getFileSystem(conf);

        ComputationGraph newer = tinyNetwork(2);
        IOException crash = assertThrows(IOException.class, () -> AtomicFiles.write(fs, model, out -> {
            ModelSerializer.writeModel(newer, out, true);
            throw new IOException("executor lost while publishing");
        }));
        assertEquals("executor lost while publishing", crash.getMessage());

        ComputationGraph read = store.readModel(model);
        assertEquals(earlier.params(), read.params(), "the earlier model is still the published one");
        assertNotEquals(newer.params(), read.params());
        FileStatus[] left = fs.listStatus(store.root(), p -> p.getName().contains(".tmp"));
        assertEquals(0, left.length, "no temporary left: " + Arrays.toString(left));

        store.publish(newer, state(2), PREPROCESSING); // a later publish replaces it whole
        assertEquals(newer.params(), store.readModel(model).params());
    }

    @Test
    void crashDuringPublishOnHdfs() throws Exception {
        crashDuringPublishLeavesTheEarlierModel(hdfs.uri("/models/crash"));
    }

    @Test
    void crashDuringPublishOnLocalDisk() throws Exception {
        crashDuringPublishLeavesTheEarlierModel(Files.createTempDirectory("store").toUri().toString());
    }

    @Test
    void checkpointsKeepTheLastKWithUpdaterState() throws Exception {
        ModelStore store = new ModelStore(hdfs.uri("/models/checkpoints"), new Configuration());
        store.startRun(false);
        ComputationGraph net = tinyNetwork(3);
        for (int epoch = 1; epoch <= 4; epoch++) {
            store.checkpoint(net, state(epoch), 2);
        }
        assertEquals(List.of("epoch-0003", "epoch-0004"),
                store.checkpoints().stream().map(Path::getName).toList());
        ModelStore.Checkpoint last = store.latestCheckpoint().orElseThrow();
        assertEquals(4, last.state().completedEpochs());
        assertEquals(net.params(), last.network().params());
        assertTrue(last.network().getUpdater().getStateViewArray() != null);
    }

    /** Damage as a bad copy or disk would: one bit of one byte in the middle of the file. */
    private static void flipABit(FileSystem fs, Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = fs.open(file)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length / 2] ^= 0x10;
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        }
    }

    @Test
    void theSuccessMarkerRecordsEveryPublishedFilesDigestInSha256sumFormat() throws Exception {
        Configuration conf = new Configuration();
        ModelStore store = new ModelStore(hdfs.uri("/models/digests"), conf);
        store.startRun(false);
        store.publish(tinyNetwork(4), state(1), PREPROCESSING);
        FileSystem fs = store.root().getFileSystem(conf);
        String marker;
        try (InputStream in = fs.open(new Path(store.root(), ModelStore.SUCCESS))) {
            marker = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> recorded = Checksums.parse(marker);
        assertEquals(List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.CONFIG, ModelStore.METRICS,
                ModelStore.PREPROCESSING), List.copyOf(recorded.keySet()));
        for (Map.Entry<String, String> file : recorded.entrySet()) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = fs.open(new Path(store.root(), file.getKey()))) {
                digest.update(in.readAllBytes());
            }
            assertEquals(HexFormat.of().formatHex(digest.digest()), file.getValue(), file.getKey());
        }
    }

    @Test
    void aPublishedModelWithAFlippedBitIsRefusedNamingTheFile() throws Exception {
        Configuration conf = new Configuration();
        ModelStore store = new ModelStore(hdfs.uri("/models/flipped"), conf);
        store.startRun(false);
        store.publish(tinyNetwork(5), state(1), PREPROCESSING);
        Path model = new Path(store.root(), ModelStore.MODEL);
        flipABit(store.root().getFileSystem(conf), model);
        OutputException e = assertThrows(OutputException.class, () -> ModelStore.readModel(model.toString(), conf));
        assertTrue(e.getMessage().contains(model.toString()) && e.getMessage().contains("corrupt")
                && e.getMessage().contains(ModelStore.SUCCESS), e.getMessage());
    }

    @Test
    void aDamagedNewestCheckpointIsSkippedForThePreviousOneAndNoneUsableIsAnError() throws Exception {
        Configuration conf = new Configuration();
        ModelStore store = new ModelStore(hdfs.uri("/models/damaged-checkpoints"), conf);
        store.startRun(false);
        ComputationGraph first = tinyNetwork(6);
        store.checkpoint(first, state(1), 3);
        store.checkpoint(tinyNetwork(7), state(2), 3);
        FileSystem fs = store.root().getFileSystem(conf);
        List<Path> written = store.checkpoints();
        flipABit(fs, new Path(written.get(1), ModelStore.MODEL));

        ModelStore.Checkpoint usable = store.latestCheckpoint().orElseThrow();
        assertEquals("epoch-0001", usable.path().getName());
        assertEquals(first.params(), usable.network().params());

        flipABit(fs, new Path(written.get(0), ModelStore.MODEL));
        OutputException e = assertThrows(OutputException.class, store::latestCheckpoint);
        assertTrue(e.getMessage().contains("epoch-0001") && e.getMessage().contains("epoch-0002")
                && e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void aPublishOverTheQuotaFailsNamingTheFileAndKeepsTheEarlierModel() throws Exception {
        Configuration conf = new Configuration();
        ModelStore store = new ModelStore(hdfs.uri("/models/over-quota"), conf);
        store.startRun(false);
        store.publish(tinyNetwork(1), state(1), PREPROCESSING);
        DistributedFileSystem fs = (DistributedFileSystem) hdfs.fileSystem();
        Path root = store.root();
        Path model = new Path(root, ModelStore.MODEL);
        byte[] earlier = fs.open(model).readAllBytes();
        fs.setQuota(root, HdfsConstants.QUOTA_DONT_SET, fs.getContentSummary(root).getSpaceConsumed());

        OutputException e = assertThrows(OutputException.class,
                () -> store.publish(tinyNetwork(2), state(2), PREPROCESSING));
        assertTrue(e.getMessage().contains(model.toString()) && e.getMessage().contains("over its quota"),
                e.getMessage());
        assertArrayEquals(earlier, fs.open(model).readAllBytes(), "the earlier model is intact");
        assertFalse(fs.exists(new Path(root, ModelStore.SUCCESS)), "the failed publish is not taken for a model");
        assertEquals(List.of(), Arrays.stream(fs.listStatus(root)).map(s -> s.getPath().getName())
                .filter(n -> n.startsWith(".")).toList(), "no temporary file left");
    }

    @Test
    void aCheckpointIntoAnOutputMadeReadOnlyFailsNamingItAndLeavesTheEarlierOne() throws Exception {
        FileSystem admin = hdfs.fileSystem();
        Path root = new Path(hdfs.uri("/models/read-only"));
        admin.mkdirs(root);
        admin.setOwner(root, "alice", "users");
        // permissions bind every user but the NameNode's own (the test's), so the run is alice's
        UserGroupInformation alice = UserGroupInformation.createUserForTesting("alice", new String[] {"users"});
        ModelStore store = alice.doAs((PrivilegedExceptionAction<ModelStore>) () -> {
            ModelStore s = new ModelStore(root.toString(), new Configuration());
            s.startRun(false);
            s.checkpoint(tinyNetwork(3), state(1), 3);
            return s;
        });
        admin.setPermission(root, new FsPermission((short) 0555));
        admin.setPermission(new Path(root, ModelStore.CHECKPOINTS), new FsPermission((short) 0555));

        OutputException e = assertThrows(OutputException.class, () -> alice.doAs(
                (PrivilegedExceptionAction<Path>) () -> store.checkpoint(tinyNetwork(4), state(2), 3)));
        assertTrue(e.getMessage().contains(root + "/checkpoints/epoch-0002")
                && e.getMessage().contains("permission denied"), e.getMessage());
        List<Path> left = alice.doAs((PrivilegedExceptionAction<List<Path>>) store::checkpoints);
        assertEquals(List.of("epoch-0001"), left.stream().map(Path::getName).toList());
        assertEquals(1, alice.doAs((PrivilegedExceptionAction<Integer>) () ->
                store.latestCheckpoint().orElseThrow().state().completedEpochs()), "and it reads back whole");
    }
}
