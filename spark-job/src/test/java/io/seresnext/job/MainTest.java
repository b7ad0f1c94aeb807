package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's entry point: exit status and the one-line error a user sees. */
class MainTest {

    @TempDir
    Path dir;

    private record Outcome(int status, String stderr) {
    }

    private static Outcome run(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void aBadConfigurationExitsWithTwoAndNamesTheKey() {
        Outcome o = run("train", "--input", "file:///in", "--output", "file:///out", "--set", "train.epochs=0");
        assertEquals(2, o.status());
        assertTrue(o.stderr().contains("Error: train.epochs must be >= 1"), o.stderr());
    }

    @Test
    void aMissingInputExitsWithOneAndNamesThePathBeforeWritingAnything() throws Exception {
        Path output = dir.resolve("out");
        String input = dir.resolve("no-such-folder").toUri().toString();
        Outcome o = run("train", "--input", input, "--output", output.toUri().toString(), "--master", "local[1]");
        assertEquals(1, o.status());
        assertTrue(o.stderr().contains("Error: input ") && o.stderr().contains("no-such-folder")
                && o.stderr().contains("does not exist"), o.stderr());
        assertTrue(!Files.exists(output), "nothing was written");
    }

    @Test
    void evaluatingAFileThatIsNotAModelExitsWithTwoAndNamesIt() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("model.zip"), "not a zip");
        Files.writeString(model.resolve("labels.txt"), "cats\ndogs\n");
        Files.writeString(model.resolve("job.conf"), "input = \"file:///in\"\noutput = \"file:///out\"\n");
        Files.writeString(model.resolve("_SUCCESS"), "");
        Path output = dir.resolve("evaluation");
        Outcome o = run("evaluate", "--model", model.toUri().toString(), "--input", dir.toUri().toString(),
                "--output", output.toUri().toString(), "--master", "local[1]");
        assertEquals(1, o.status(), "a model that cannot be read is bad data, as for train");
        assertTrue(o.stderr().contains("Error: --model: not a model zip: ") && o.stderr().contains("model.zip"),
                o.stderr());
        assertTrue(!Files.exists(output), "nothing was written");
    }
}
