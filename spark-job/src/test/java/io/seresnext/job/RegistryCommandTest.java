package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.registry.Lineage;
import io.seresnext.job.registry.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code registry} through the jar's entry point: what it prints and its exit statuses. */
class RegistryCommandTest {

    @TempDir
    Path dir;
    private String registry;

    private record Outcome(int status, String stdout, String stderr) {
    }

    private static Outcome run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.run(args), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Two versions of stand-in outputs (the registry copies files; it never opens the model). */
    @BeforeEach
    void twoVersions() throws Exception {
        registry = dir.resolve("registry").toUri().toString();
        ModelRegistry r = ModelRegistry.openOrCreate(registry, new Configuration());
        for (int i = 1; i <= 2; i++) {
            Path out = Files.createDirectories(dir.resolve("out" + i));
            for (String f : ModelRegistry.PUBLISHED) {
                Files.writeString(out.resolve(f), f + i);
            }
            r.register(new org.apache.hadoop.fs.Path(out.toUri()), new Lineage("", "", "file:/data/run" + i,
                    "fp" + i, List.of("a", "b"), new EpochMetrics(1, 0.1, 10, 1, 10, 4, 0.5, 0.25 * i, 1, 0.6, 1.5),
                    null, "",
                    "unknown", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "input = x"));
        }
    }

    @Test
    void listMarksTheCurrentVersionAndShowsEachVersionsFigures() {
        Outcome o = run("registry", "--registry", registry, "list");
        assertEquals(0, o.status(), o.stderr());
        List<String> lines = o.stdout().lines().toList();
        assertEquals(3, lines.size(), o.stdout());
        assertTrue(lines.get(1).startsWith("* v0001") && lines.get(1).contains("25.00%")
                && lines.get(1).endsWith("file:/data/run1"), lines.get(1));
        assertTrue(lines.get(2).startsWith("  v0002") && lines.get(2).contains("50.00%"), lines.get(2));
    }

    @Test
    void showPrintsTheLineage() {
        Outcome o = run("registry", "--registry", registry, "show", "2");
        assertEquals(0, o.status(), o.stderr());
        assertTrue(o.stdout().startsWith("# ") && o.stdout().contains("/registry/v0002\n"), o.stdout());
        assertTrue(o.stdout().contains("\"version\" : \"v0002\"")
                && o.stdout().contains("\"input\" : \"file:/data/run2\"")
                && o.stdout().contains("\"shardCacheFingerprint\" : \"fp2\""), o.stdout());
    }

    @Test
    void promoteThenRollbackPrintTheNewCurrentVersion() {
        Outcome promoted = run("registry", "--registry", registry, "promote", "v0002");
        assertEquals(0, promoted.status(), promoted.stderr());
        assertEquals("current: v0002", promoted.stdout().strip());
        assertTrue(run("registry", "--registry", registry, "list").stdout().contains("* v0002"));
        Outcome rolledBack = run("registry", "--registry", registry, "rollback");
        assertEquals(0, rolledBack.status(), rolledBack.stderr());
        assertEquals("current: v0001", rolledBack.stdout().strip());
    }

    @Test
    void anUnknownVersionExitsWithTwoAndNamesIt() {
        Outcome o = run("registry", "--registry", registry, "promote", "v0009");
        assertEquals(2, o.status());
        assertTrue(o.stderr().contains("Error: version v0009 is not in the registry"), o.stderr());
        assertTrue(run("registry", "--registry", registry, "list").stdout().contains("* v0001"), "current unchanged");
    }

    @Test
    void aPathThatIsNotARegistryExitsWithTwoAndNamesIt() {
        String notRegistry = dir.resolve("out1").toUri().toString();
        Outcome o = run("registry", "--registry", notRegistry, "list");
        assertEquals(2, o.status());
        assertTrue(o.stderr().contains("out1") && o.stderr().contains("is not a model registry"), o.stderr());
    }

    @Test
    void aRollbackWithNothingBeforeExitsWithTwo() {
        Outcome o = run("registry", "--registry", registry, "rollback");
        assertEquals(2, o.status());
        assertTrue(o.stderr().contains("nothing to go back to"), o.stderr());
    }
}
