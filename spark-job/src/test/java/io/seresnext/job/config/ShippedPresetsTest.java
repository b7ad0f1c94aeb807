package io.seresnext.job.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every job preset shipped in conf/ loads and validates (so a typo in one fails the build, not a user's job). */
class ShippedPresetsTest {

    @Test
    void everyPresetInConfLoads() {
        File[] presets = new File("../conf").listFiles((d, name) -> name.endsWith(".conf"));
        assertTrue(presets != null && presets.length >= 3, "conf/ holds the job presets");
        for (File preset : presets) {
            JobConfig c = JobConfigLoader.load(preset, Map.of("input", "file:///in", "output", "file:///out"));
            assertFalse(c.model().preset().isBlank(), preset.getName());
        }
        List<String> names = Arrays.stream(presets).map(File::getName).toList();
        assertTrue(names.contains("demo.conf"), names.toString());
    }
}
