package io.seresnext.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CommandLine.parse(List.of("bench-model", "--preset", "resnet50", "--input", "3x16x16")));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void shapes() {
        assertEquals(Optional.empty(), CommandLine.parseShape("3x0x4").map(a -> a));
        assertEquals(224, CommandLine.parseShape("3x224x224").orElseThrow()[2]);
    }
}
