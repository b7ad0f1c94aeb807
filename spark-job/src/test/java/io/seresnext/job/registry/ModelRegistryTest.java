package io.seresnext.job.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.MiniHdfs;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on a real HDFS (MiniDFSCluster) and a local disk, with small stand-in outputs: the registry copies
 * files and never opens the model, so real training is left to {@code RegistryTrainTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelRegistryTest {

    private MiniHdfs hdfs;
    private FileSystem fs;
    private Configuration conf;

    @TempDir
    java.nio.file.Path local;

    @BeforeAll
    void start() throws Exception {
        hdfs = new MiniHdfs();
        fs = hdfs.fileSystem();
        conf = fs.getConf();
    }

    @AfterAll
    void stop() {
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** A finished output whose every file says which one it is. */
    private Path published(String uri, String tag) throws Exception {
        Path dir = new Path(uri);
        FileSystem out = dir.getFileSystem(conf);
        for (String file : ModelRegistry.PUBLISHED) {
            try (OutputStream s = out.create(new Path(dir, file), true)) {
                s.write((file + " of " + tag).getBytes(StandardCharsets.UTF_8));
            }
        }
        return dir;
    }

    private static Lineage lineage(String tag) {
        return new Lineage("", "", "hdfs:///data/" + tag, "fingerprint-" + tag, List.of("cat", "dog"),
                new EpochMetrics(2, 0.01, 100, 2.0, 50.0, 20, 0.4, 0.75, 1.0), null, "", "test-code",
                "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", "train.epochs = 2");
    }

    private Map<String, byte[]> contents(FileSystem on, Path dir) throws Exception {
        Map<String, byte[]> out = new HashMap<>();
        for (FileStatus s : on.listStatus(dir)) {
            out.put(s.getPath().getName() + "@" + s.getModificationTime(), on.open(s.getPath()).readAllBytes());
        }
        return out;
    }

    private static String text(FileSystem on, Path file) throws Exception {
        return new String(on.open(file).readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void registeringAgainMakesTheNextVersionAndLeavesTheFirstUntouched() throws Exception {
        String uri = hdfs.uri("/registries/immutable");
        ModelRegistry registry = ModelRegistry.openOrCreate(uri, conf);
        RegistryVersion first = registry.register(published(hdfs.uri("/out/a"), "a"), lineage("a"));
        Map<String, byte[]> before = contents(fs, first.path());

        RegistryVersion second = registry.register(published(hdfs.uri("/out/b"), "b"), lineage("b"));

        assertEquals("v0001", first.name());
        assertEquals("v0002", second.name());
        Map<String, byte[]> after = contents(fs, first.path());
        assertEquals(before.keySet(), after.keySet(), "same files, same modification times");
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
        for (String file : ModelRegistry.PUBLISHED) {
            assertEquals(file + " of b", text(fs, new Path(second.path(), file)), "a copy of the published " + file);
        }
        Lineage stored = registry.lineage(second);
        Lineage given = lineage("b");
        assertEquals("v0002", stored.version());
        assertTrue(!Instant.parse(stored.registered()).isBefore(Instant.parse(given.finished())));
        assertEquals(given.registeredAs("v0002", stored.registered()), stored, "everything else as given");
        assertEquals(List.of(first, second), registry.versions());
    }

    @Test
    void theFirstVersionBecomesCurrentAndLaterOnesWaitForAPromotion() throws Exception {
        ModelRegistry registry = ModelRegistry.openOrCreate(hdfs.uri("/registries/first"), conf);
        assertTrue(registry.current().isEmpty());
        RegistryVersion first = registry.register(published(hdfs.uri("/out/first-a"), "a"), lineage("a"));
        registry.register(published(hdfs.uri("/out/first-b"), "b"), lineage("b"));
        assertEquals(first, registry.current().orElseThrow());
    }

    @Test
    void promoteAndRollbackMoveCurrentAlongTheHistory() throws Exception {
        String uri = local.resolve("stack").toUri().toString();
        ModelRegistry registry = ModelRegistry.openOrCreate(uri, conf);
        for (String tag : List.of("a", "b", "c")) {
            registry.register(published(local.resolve("out-" + tag).toUri().toString(), tag), lineage(tag));
        }
        RegistryVersion v1 = registry.version("v0001");
        RegistryVersion v2 = registry.version("2");
        RegistryVersion v3 = registry.version("v3");

        assertTrue(registry.promote(v3));
        assertTrue(registry.promote(v2));
        assertFalse(registry.promote(v2), "promoting the current version changes nothing");
        assertEquals(v2, registry.current().orElseThrow());
        assertEquals(v3, registry.rollback(), "back to the version current before v2's promotion");
        assertEquals(v3, registry.current().orElseThrow());
        assertEquals(v1, registry.rollback(), "a second rollback goes one further back");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, registry::rollback);
        assertTrue(e.getMessage().contains("nothing to go back to") && e.getMessage().contains("v0001"),
                e.getMessage());
        assertEquals(v1, registry.current().orElseThrow(), "a refused rollback leaves current alone");
        List<String> log = registry.history().stream().map(h -> h.action() + " " + h.version()).toList();
        assertEquals(List.of("promote v0001", "promote v0003", "promote v0002", "rollback v0003", "rollback v0001"),
                log);
    }

    @Test
    void aNameAlreadyTakenIsNeverReplacedOnEitherFilesystem() throws Exception {
        // Hadoop's own rename replaces an existing file on a local disk: exclusive creation must not
        for (Path target : List.of(new Path(hdfs.uri("/exclusive/taken")),
                new Path(local.resolve("exclusive/taken").toUri()))) {
            FileSystem on = target.getFileSystem(conf);
            assertTrue(ExclusiveFiles.createNew(on, target, o -> o.write('1')));
            assertFalse(ExclusiveFiles.createNew(on, target, o -> o.write('2')), target.toString());
            assertEquals("1", text(on, target));
            assertEquals(1, on.listStatus(target.getParent()).length, "no temporary left behind");
        }
    }

    private List<RegistryVersion> registerConcurrently(String uri, String outputs, int threads) throws Exception {
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            sources.add(published(outputs + "/" + i, "run" + i));
        }
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<RegistryVersion>> done = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int run = i;
                done.add(pool.submit(() -> {
                    go.await();
                    // each thread opens the registry itself, as separate jobs would
                    return ModelRegistry.openOrCreate(uri, conf).register(sources.get(run), lineage("run" + run));
                }));
            }
            go.countDown();
            List<RegistryVersion> out = new ArrayList<>();
            for (Future<RegistryVersion> f : done) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private void assertDistinctAndComplete(String uri, List<RegistryVersion> got) throws Exception {
        int n = got.size();
        Set<String> names = new HashSet<>();
        got.forEach(v -> names.add(v.name()));
        assertEquals(n, names.size(), "distinct versions: " + got);
        ModelRegistry registry = ModelRegistry.open(uri, conf);
        assertEquals(n, registry.versions().size());
        FileSystem on = new Path(uri).getFileSystem(conf);
        for (RegistryVersion v : registry.versions()) {
            Lineage l = registry.lineage(v);
            assertEquals(v.name(), l.version());
            String tag = l.input().substring(l.input().lastIndexOf('/') + 1);
            for (String file : ModelRegistry.PUBLISHED) {
                assertEquals(file + " of " + tag, text(on, new Path(v.path(), file)), v.name() + "/" + file);
            }
        }
        Path staging = new Path(uri, ModelRegistry.STAGING);
        assertEquals(0, on.listStatus(staging).length, "no staging copy left");
        assertEquals(1, registry.history().size(), "only the first version was promoted, once");
    }

    @Test
    void concurrentRegistrationsOnHdfsGetDistinctCompleteVersions() throws Exception {
        String uri = hdfs.uri("/registries/concurrent");
        assertDistinctAndComplete(uri, registerConcurrently(uri, hdfs.uri("/out/concurrent"), 8));
    }

    @Test
    void concurrentRegistrationsOnALocalDiskGetDistinctCompleteVersions() throws Exception {
        String uri = local.resolve("concurrent").toUri().toString();
        assertDistinctAndComplete(uri, registerConcurrently(uri, local.resolve("outs").toUri().toString(), 8));
    }

    @Test
    void concurrentPromotionsOnHdfsEachGetTheirOwnHistoryEntry() throws Exception {
        String uri = hdfs.uri("/registries/promotions");
        ModelRegistry registry = ModelRegistry.openOrCreate(uri, conf);
        int n = 6;
        for (int i = 1; i <= n; i++) {
            registry.register(published(hdfs.uri("/out/promo-" + i), "p" + i), lineage("p" + i));
        }
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n - 1);
        List<Future<Boolean>> done = new ArrayList<>();
        for (int i = 2; i <= n; i++) {
            String name = "v000" + i;
            Callable<Boolean> promote = () -> {
                go.await();
                ModelRegistry own = ModelRegistry.open(uri, conf);
                return own.promote(own.version(name));
            };
            done.add(pool.submit(promote));
        }
        go.countDown();
        for (Future<Boolean> f : done) {
            assertTrue(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdownNow();
        List<CurrentPointer.Entry> history = registry.history();
        assertEquals(n, history.size(), "the first version's entry and one per promotion, none overwritten");
        Set<String> promoted = new HashSet<>();
        for (int i = 0; i < n; i++) {
            assertEquals(i + 1, history.get(i).sequence());
            promoted.add(history.get(i).version());
        }
        assertEquals(n, promoted.size());
        assertEquals(history.get(n - 1).version(), registry.current().orElseThrow().name());
    }

    @Test
    void readersOnHdfsAlwaysSeeOneWholeVersionWhileCurrentMoves() throws Exception {
        String uri = hdfs.uri("/registries/readers");
        ModelRegistry registry = ModelRegistry.openOrCreate(uri, conf);
        RegistryVersion a = registry.register(published(hdfs.uri("/out/read-a"), "a"), lineage("a"));
        RegistryVersion b = registry.register(published(hdfs.uri("/out/read-b"), "b"), lineage("b"));
        Map<String, String> tags = Map.of(a.name(), "a", b.name(), "b");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<?> reader = pool.submit(() -> {
            ModelRegistry own = ModelRegistry.open(uri, conf);
            while (writing.get() || reads.get() == 0) {
                RegistryVersion current = own.current().orElseThrow();
                assertEquals("model.zip of " + tags.get(current.name()),
                        text(fs, new Path(current.path(), ModelStore.MODEL)));
                reads.incrementAndGet();
            }
            return null;
        });
        try {
            for (int i = 0; i < 10; i++) {
                registry.promote(b);
                registry.promote(a);
            }
        } finally {
            writing.set(false);
        }
        reader.get(60, TimeUnit.SECONDS); // rethrows what the reader saw
        pool.shutdownNow();
        assertTrue(reads.get() > 0);
        assertEquals(21, registry.history().size());
    }

    @Test
    void aPathThatIsNotARegistryIsRefusedByName() throws Exception {
        Path data = published(hdfs.uri("/out/not-a-registry"), "x");
        InvalidConfigException open = assertThrows(InvalidConfigException.class,
                () -> ModelRegistry.open(data.toString(), conf));
        assertTrue(open.getMessage().contains(data.toString()) && open.getMessage().contains("not a model registry"),
                open.getMessage());
        InvalidConfigException register = assertThrows(InvalidConfigException.class,
                () -> ModelRegistry.checkRegistrable(data.toString(), conf));
        assertTrue(register.getMessage().contains(data.toString()), register.getMessage());
        assertFalse(fs.exists(new Path(data, ModelRegistry.MARKER)), "nothing written into it");
    }

    @Test
    void anUnknownVersionIsRefusedByName() throws Exception {
        ModelRegistry registry = ModelRegistry.openOrCreate(local.resolve("unknown").toUri().toString(), conf);
        registry.register(published(local.resolve("out-unknown").toUri().toString(), "u"), lineage("u"));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> registry.version("v0042"));
        assertTrue(e.getMessage().contains("v0042"), e.getMessage());
        assertThrows(InvalidConfigException.class, () -> registry.version("latest"));
        assertNotNull(registry.version("1"));
    }
}
