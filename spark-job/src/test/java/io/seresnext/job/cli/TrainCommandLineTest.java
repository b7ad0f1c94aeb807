package io.seresnext.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainCommandLineTest {

    @Test
    void eachOptionSetsItsConfigurationKey() {
        Command c = CommandLine.parse(List.of("train", "--input", "hdfs:///in", "--output", "hdfs:///out",
                "--preset", "seresnext50_32x4d", "--epochs", "90", "--batch-size", "64",
                "--training-master", "gradient-sharing", "--master", "local[3]", "--overwrite",
                "--set", "model.image-size=224", "--set", "train.warmup-epochs=5")).orElseThrow();
        JobConfig config = assertInstanceOf(Command.Train.class, c).config();
        assertEquals("hdfs:///in", config.input());
        assertEquals("hdfs:///out", config.output());
        assertEquals("seresnext50_32x4d", config.model().preset());
        assertEquals(224, config.model().imageSize());
        assertEquals(90, config.train().epochs());
        assertEquals(64, config.train().batchSize());
        assertEquals(5.0, config.train().warmupEpochs());
        assertEquals(JobConfig.MasterType.GRADIENT_SHARING, config.trainingMaster().type());
        assertEquals("local[3]", config.master());
        assertTrue(config.overwrite());
    }

    @Test
    void prepareNeedsNoOutput() {
        Command c = CommandLine.parse(List.of("prepare", "--input", "file:///in")).orElseThrow();
        assertEquals("file:///in", assertInstanceOf(Command.Prepare.class, c).config().input());
    }

    @Test
    void badValuesAreRefusedBeforeAnythingRuns() {
        assertTrue(CommandLine.parse(List.of("train", "--epochs", "many")).isEmpty(), "scopt refuses a non-number");
        String m = assertThrows(InvalidConfigException.class, () -> CommandLine.parse(List.of("train", "--input",
                "file:///in", "--output", "file:///out", "--batch-size", "0"))).getMessage();
        assertTrue(m.contains("train.batch-size"), m);
        String unknown = assertThrows(InvalidConfigException.class, () -> CommandLine.parse(List.of("train",
                "--input", "file:///in", "--output", "file:///out", "--set", "train.lr=1"))).getMessage();
        assertTrue(unknown.contains("train.lr"), unknown);
    }
}
