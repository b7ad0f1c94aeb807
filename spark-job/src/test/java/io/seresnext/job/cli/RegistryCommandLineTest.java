package io.seresnext.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.registry.RegistryCommand.Action;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryCommandLineTest {

    private static Command parse(String... args) {
        return CommandLine.parse(List.of(args)).orElseThrow();
    }

    @Test
    void eachRegistrySubcommandParsesWithItsVersion() {
        assertEquals(new Command.Registry("hdfs:///r", Action.LIST, ""), parse("registry", "--registry", "hdfs:///r",
                "list"));
        assertEquals(new Command.Registry("hdfs:///r", Action.SHOW, "v0003"), parse("registry", "--registry",
                "hdfs:///r", "show", "v0003"));
        assertEquals(new Command.Registry("hdfs:///r", Action.PROMOTE, "2"), parse("registry", "--registry",
                "hdfs:///r", "promote", "2"));
        assertEquals(new Command.Registry("file:///r", Action.ROLLBACK, ""), parse("registry", "--registry",
                "file:///r", "rollback"));
    }

    @Test
    void aRegistryCommandWithoutRegistryOrActionOrWithTheWrongArgumentsIsRefused() {
        String noUri = assertThrows(IllegalArgumentException.class, () -> parse("registry", "list")).getMessage();
        assertTrue(noUri.contains("--registry"), noUri);
        assertTrue(CommandLine.parse(List.of("registry", "--registry", "file:///r")).isEmpty(), "scopt: no action");
        assertTrue(CommandLine.parse(List.of("registry", "--registry", "file:///r", "delete", "v1")).isEmpty(),
                "scopt: unknown action");
        for (List<String> wrong : List.of(List.of("show"), List.of("promote"), List.of("list", "v0001"),
                List.of("rollback", "v0001"))) {
            List<String> args = new java.util.ArrayList<>(List.of("registry", "--registry", "file:///r"));
            args.addAll(wrong);
            String m = assertThrows(IllegalArgumentException.class, () -> CommandLine.parse(args), wrong.toString())
                    .getMessage();
            assertTrue(m.contains("list, show VERSION, promote VERSION, rollback"), m);
        }
    }

    @Test
    void trainRegisterAndInitModelSetTheirKeys() {
        JobConfig config = assertInstanceOf(Command.Train.class, parse("train", "--input", "file:///in", "--output",
                "file:///out", "--register", "hdfs:///models/r", "--init-model", "hdfs:///models/r")).config();
        assertEquals("hdfs:///models/r", config.register());
        assertEquals("hdfs:///models/r", config.initModel());
        assertEquals("", assertInstanceOf(Command.Train.class, parse("train", "--input", "file:///in", "--output",
                "file:///out")).config().register(), "no registration unless asked");
        String bad = assertThrows(InvalidConfigException.class, () -> parse("train", "--input", "file:///in",
                "--output", "file:///out", "--register", "hdfs://bad host/r")).getMessage();
        assertTrue(bad.contains("register"), bad);
    }
}
