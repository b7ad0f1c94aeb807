package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.model.ParameterCount;
import io.seresnext.model.Presets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelTableTest {

    private static String print(boolean json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelTable.print(json, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonListsEveryPresetWithItsParameterCount() throws Exception {
        JsonNode rows = new ObjectMapper().readTree(print(true));
        List<String> names = new ArrayList<>();
        for (JsonNode row : rows) {
            String name = row.get("name").asText();
            names.add(name);
            assertEquals(ParameterCount.trainable(Presets.get(name)), row.get("params").asLong(), name);
        }
        assertEquals(new ArrayList<>(Presets.names()), names);
        assertEquals(27_559_896L, rows.get(names.indexOf("seresnext50_32x4d")).get("params").asLong());
    }

    @Test
    void tableHasOneLinePerPresetAfterTheHeader() throws Exception {
        String[] lines = print(false).strip().split("\n");
        assertEquals(Presets.names().size() + 1, lines.length);
        assertTrue(lines[0].startsWith("name"));
        assertTrue(String.join("\n", lines).contains("seresnext50_32x4d          27,559,896  3x224x224"));
    }
}
