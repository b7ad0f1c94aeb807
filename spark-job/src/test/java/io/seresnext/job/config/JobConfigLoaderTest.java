package io.seresnext.job.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.GroupedConvForm;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigLoaderTest {

    @TempDir
    Path dir;

    private static Map<String, Object> required() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("input", "hdfs:///data/imagenet");
        o.put("output", "hdfs:///models/run1");
        return o;
    }

    private static String refused(Map<String, Object> overrides) {
        return assertThrows(InvalidConfigException.class, () -> JobConfigLoader.load(null, overrides)).getMessage();
    }

    private File preset(String hocon) throws Exception {
        Path p = dir.resolve("job.conf");
        Files.writeString(p, hocon);
        return p.toFile();
    }

    @Test
    void defaultsPresetFileAndCommandLineInThatOrder() throws Exception {
        File file = preset("input = \"file:///x\"\noutput = \"file:///y\"\ntrain { epochs = 7, batch-size = 64 }\n"
                + "model.preset = seresnext50_32x4d\nmodel.image-size = 224\n");
        Map<String, Object> cli = new LinkedHashMap<>();
        cli.put("train.epochs", 9);
        cli.put("train.step-epochs", new JobConfigLoader.HoconText("[3, 6]"));
        JobConfig c = JobConfigLoader.load(file, cli);
        assertEquals(9, c.train().epochs(), "command line beats the preset");
        assertEquals(64, c.train().batchSize(), "preset beats the defaults");
        assertEquals(0.1, c.train().learningRate(), "defaults fill the rest");
        assertEquals(List.of(3, 6), c.train().stepEpochs());
        assertEquals(256, c.data().storedSize(), "stored size follows the image size (224 * 8 / 7)");
        assertEquals(GroupedConvForm.GROUPED_LAYER, c.model().form());
        assertEquals(JobConfig.MasterType.PARAMETER_AVERAGING, c.trainingMaster().type());
        assertEquals(c, JobConfigLoader.fromStored(c.source(), "stored"), "the stored form reads back the same");
    }

    @Test
    void unknownKeysAreRefusedWithTheirName() throws Exception {
        Map<String, Object> o = required();
        o.put("train.epoch", 3);
        assertTrue(refused(o).contains("train.epoch"), refused(o));
        String fromFile = assertThrows(InvalidConfigException.class, () -> JobConfigLoader.load(
                preset("trian { epochs = 3 }"), required())).getMessage();
        assertTrue(fromFile.contains("trian.epochs") && fromFile.contains("job.conf"), fromFile);
    }

    @Test
    void wrongTypesNameTheKey() {
        Map<String, Object> o = required();
        o.put("train.batch-size", new JobConfigLoader.HoconText("lots"));
        String m = refused(o);
        assertTrue(m.contains("train.batch-size") && m.contains("NUMBER"), m);
    }

    @Test
    void impossibleValuesNameTheKey() {
        Map<String, Object> batch = required();
        batch.put("train.batch-size", 0);
        assertTrue(refused(batch).startsWith("train.batch-size must be >= 1"), refused(batch));

        Map<String, Object> preset = required();
        preset.put("model.preset", "seresnext9000");
        assertTrue(refused(preset).contains("model.preset") && refused(preset).contains("seresnext9000"));

        Map<String, Object> tooSmall = required();
        tooSmall.put("model.preset", "seresnext50_32x4d");
        tooSmall.put("model.image-size", 16);
        assertTrue(refused(tooSmall).contains("model.image-size 16"), refused(tooSmall));

        Map<String, Object> master = required();
        master.put("training-master.type", "allreduce");
        assertTrue(refused(master).contains("training-master.type must be one of [parameter-averaging, "
                + "gradient-sharing]"), refused(master));

        Map<String, Object> fraction = required();
        fraction.put("data.validation-fraction", 1.5);
        assertTrue(refused(fraction).contains("data.validation-fraction"));

        Map<String, Object> mask = required();
        mask.put("training-master.gradient-sharing.network-mask", "10.1.0.0");
        assertTrue(refused(mask).contains("training-master.gradient-sharing.network-mask must be an IPv4 subnet"),
                refused(mask));

        Map<String, Object> ungated = required();
        ungated.put("gate.input", "file:///eval");
        assertTrue(refused(ungated).startsWith("gate.input (--promote-if) needs register"), refused(ungated));

        Map<String, Object> both = required();
        both.put("resume", true);
        both.put("overwrite", true);
        assertTrue(refused(both).contains("resume"));
    }

    @Test
    void trainingQualitySettingsAreReadAndChecked() {
        JobConfig defaults = JobConfigLoader.load(null, required());
        assertEquals(null, defaults.data().resizedCrop(), "fixed-size random crops by default");
        assertEquals(false, defaults.model().spec(10).zeroInitResidualGamma());
        assertEquals(true, defaults.trainingMaster().gradientSharing().averageUpdates());

        Map<String, Object> o = required();
        o.put("data.random-resized-crop", true);
        o.put("data.crop-scale", new JobConfigLoader.HoconText("[0.25, 1]"));
        o.put("model.zero-init-residual-gamma", true);
        o.put("training-master.gradient-sharing.residual-clipping", 0);
        JobConfig c = JobConfigLoader.load(null, o);
        assertEquals(new io.seresnext.job.data.RandomResizedCrop(0.25, 1.0, 0.75, 1.3333333333),
                c.data().resizedCrop());
        assertEquals(true, c.model().spec(10).zeroInitResidualGamma());
        assertEquals(0.0, c.trainingMaster().gradientSharing().residualClipping());
        assertEquals(c, JobConfigLoader.fromStored(c.source(), "stored"), "the stored form reads back the same");

        Map<String, Object> scale = required();
        scale.put("data.random-resized-crop", true);
        scale.put("data.crop-scale", new JobConfigLoader.HoconText("[0.5, 0.2]"));
        assertTrue(refused(scale).startsWith("data.crop-scale must be [min, max]"), refused(scale));

        Map<String, Object> every = required();
        every.put("training-master.gradient-sharing.residual-clipping-every", 0);
        assertTrue(refused(every).startsWith("training-master.gradient-sharing.residual-clipping-every"),
                refused(every));

        Map<String, Object> halving = required();
        halving.put("training-master.gradient-sharing.threshold-halving-iterations", 0.5);
        assertTrue(refused(halving).startsWith("training-master.gradient-sharing.threshold-halving-iterations"),
                refused(halving));

        Map<String, Object> second = required();
        second.put("training-master.gradient-sharing.second-message", -1);
        assertTrue(refused(second).startsWith("training-master.gradient-sharing.second-message"), refused(second));
    }

    @Test
    void inputAndOutputAreRequiredForTraining() {
        assertTrue(refused(new LinkedHashMap<>()).startsWith("input is required"));
        Map<String, Object> noOutput = new LinkedHashMap<>();
        noOutput.put("input", "file:///x");
        assertTrue(refused(noOutput).startsWith("output is required"));
        assertEquals("", JobConfigLoader.load(null, noOutput, false).output(), "prepare needs no output");
    }

    @Test
    void aMissingPresetFileIsNamed() {
        String m = assertThrows(InvalidConfigException.class,
                () -> JobConfigLoader.load(new File("no/such.conf"), required())).getMessage();
        assertTrue(m.contains("--config") && m.contains("no/such.conf"), m);
    }
}
