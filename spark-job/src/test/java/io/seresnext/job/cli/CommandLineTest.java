package io.seresnext.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.model.GroupedConvForm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void modelsWithAndWithoutJson() {
        assertEquals(new Command.ListModels(false), CommandLine.parse(List.of("models")).orElseThrow());
        assertEquals(new Command.ListModels(true), CommandLine.parse(List.of("models", "--json")).orElseThrow());
    }

    @Test
    void benchModelAdaptsThePresetToTheRequestedInput() {
        Command c = CommandLine.parse(List.of("bench-model", "--preset", "seresnext29_8x16d_w1", "--batch", "64",
                "--input", "1x28x28", "--steps", "4", "--form", "paths")).orElseThrow();
        Command.BenchModel b = assertInstanceOf(Command.BenchModel.class, c);
        assertEquals(64, b.batch());
        assertEquals(4, b.timedSteps());
        assertEquals(1, b.spec().inputChannels());
        assertEquals(28, b.spec().inputHeight());
        assertEquals(GroupedConvForm.CONCAT_PATHS, b.form());
        assertFalse(b.forwardOnly(), "training steps unless asked");
        assertTrue(assertInstanceOf(Command.BenchModel.class, CommandLine.parse(List.of("bench-model", "--preset",
                "seresnext29_8x16d_w1", "--forward-only")).orElseThrow()).forwardOnly());
    }

    @Test
    void badOptionsAreRefused() {
        assertTrue(CommandLine.parse(List.of("bench-model", "--preset", "nope")).isEmpty());
        assertTrue(CommandLine.parse(List.of("bench-model", "--preset", "resnet50", "--batch", "0")).isEmpty());
        assertTrue(CommandLine.parse(List.of("bench-model", "--preset", "resnet50", "--input", "3x224")).isEmpty());
        assertTrue(CommandLine.parse(List.of("bench-model")).isEmpty(), "--preset is required");
        assertTrue(CommandLine.parse(List.of()).isEmpty());
    }

    @Test
    void anInputTooSmallForTheModelNamesTheProblem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CommandLine.parse(List.of("bench-model", "--preset", "resnet50", "--input", "3x16x16")));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void evaluateTakesTheModelAndSetsTheJobKeys() {
        Command c = CommandLine.parse(List.of("evaluate", "--model", "hdfs:///models/run1", "--input",
                "hdfs:///data/imagenet", "--output", "hdfs:///evaluations/run1", "--overwrite", "--master", "local[3]",
                "--set", "train.eval-batch-size=128")).orElseThrow();
        Command.Evaluate e = assertInstanceOf(Command.Evaluate.class, c);
        assertEquals("hdfs:///models/run1", e.model());
        assertEquals("hdfs:///data/imagenet", e.config().input());
        assertEquals("hdfs:///evaluations/run1", e.config().output());
        assertTrue(e.config().overwrite());
        assertEquals("local[3]", e.config().master());
        assertEquals(128, e.config().train().evalBatchSize());
    }

    @Test
    void evaluateWithoutOutputLeavesItToTheModelsFolderAndDoesNotOverwrite() {
        Command.Evaluate e = assertInstanceOf(Command.Evaluate.class, CommandLine.parse(List.of("evaluate",
                "--model", "file:///m", "--input", "file:///in")).orElseThrow());
        assertEquals("", e.config().output());
        assertFalse(e.config().overwrite());
    }

    @Test
    void evaluateRefusesAMissingModelOrInputAndTrainingOptions() {
        assertTrue(CommandLine.parse(List.of("evaluate", "--input", "file:///in")).isEmpty(), "--model is required");
        assertTrue(CommandLine.parse(List.of("evaluate", "--model", "file:///m", "--input", "file:///in", "--epochs",
                "3")).isEmpty(), "scopt refuses an option of train");
        String m = assertThrows(InvalidConfigException.class, () -> CommandLine.parse(List.of("evaluate", "--model",
                "file:///m"))).getMessage();
        assertTrue(m.startsWith("input is required"), m);
        String uri = assertThrows(InvalidConfigException.class, () -> CommandLine.parse(List.of("evaluate", "--model",
                "hdfs://bad host/m", "--input", "file:///in"))).getMessage();
        assertTrue(uri.startsWith("--model is not a valid URI"), uri);
    }

    @Test
    void predictTakesModelInputOutputTopKAndOverwrite() {
        Command.Predict p = assertInstanceOf(Command.Predict.class, CommandLine.parse(List.of("predict", "--model",
                "hdfs:///models/run1", "--input", "hdfs:///incoming/2026-12-01", "--output", "hdfs:///scores/d1",
                "--top-k", "3", "--overwrite", "--set", "data.max-bad-fraction=0.1")).orElseThrow());
        assertEquals("hdfs:///models/run1", p.model());
        assertEquals("hdfs:///incoming/2026-12-01", p.config().input());
        assertEquals("hdfs:///scores/d1", p.config().output());
        assertEquals(3, p.topK());
        assertTrue(p.config().overwrite());
        assertEquals(0.1, p.config().data().maxBadFraction(), 1e-12);
    }

    @Test
    void predictDefaultsToTopFiveAndNoOverwrite() {
        Command.Predict p = assertInstanceOf(Command.Predict.class, CommandLine.parse(List.of("predict", "--model",
                "file:///m", "--input", "file:///in", "--output", "file:///out")).orElseThrow());
        assertEquals(5, p.topK());
        assertFalse(p.config().overwrite());
    }

    @Test
    void predictRefusesAMissingModelOrOutputAndABadTopK() {
        assertTrue(CommandLine.parse(List.of("predict", "--input", "file:///in", "--output", "file:///out"))
                .isEmpty(), "--model is required");
        assertTrue(CommandLine.parse(List.of("predict", "--model", "file:///m", "--input", "file:///in", "--output",
                "file:///out", "--top-k", "0")).isEmpty(), "--top-k must be positive");
        String m = assertThrows(InvalidConfigException.class, () -> CommandLine.parse(List.of("predict", "--model",
                "file:///m", "--input", "file:///in"))).getMessage();
        assertTrue(m.startsWith("output is required"), m);
    }

    @Test
    void shapes() {
        assertEquals(Optional.empty(), CommandLine.parseShape("3x0x4").map(a -> a));
        assertEquals(224, CommandLine.parseShape("3x224x224").orElseThrow()[2]);
    }
}
