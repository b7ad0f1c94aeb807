package io.seresnext.model.serving;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * A model zip's network for inference, read where the classes of its training-only settings are absent. The job
 * records its learning-rate schedule (a class of the job) in each layer's updater configuration, and DL4J refuses
 * a configuration naming a class it cannot load; a forward pass never uses a schedule. So schedules of absent
 * classes are dropped, the updater state is left out, and the weights are read by DL4J itself.
 */
final class InferenceNetwork {

    private static final String CONFIGURATION = "configuration.json";
    private static final String UPDATER_STATE = "updaterState.bin";
    private static final ObjectMapper JSON = new ObjectMapper();

    private InferenceNetwork() {
    }

    /** @param zip a model zip already checked against {@link ModelZipEntries} */
    static ComputationGraph read(File zip) throws IOException {
        File copy = Files.createTempFile("inference", ".zip").toFile();
        try {
            try (ZipFile in = new ZipFile(zip); ZipOutputStream out = new ZipOutputStream(
                    Files.newOutputStream(copy.toPath()))) {
                Enumeration<? extends ZipEntry> entries = in.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry entry = entries.nextElement();
                    if (entry.getName().equals(UPDATER_STATE)) {
                        continue;
                    }
                    out.putNextEntry(new ZipEntry(entry.getName()));
                    try (InputStream data = in.getInputStream(entry)) {
                        if (entry.getName().equals(CONFIGURATION)) {
                            out.write(withoutAbsentSchedules(new String(data.readAllBytes(),
                                    StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                        } else {
                            data.transferTo(out);
                        }
                    }
                    out.closeEntry();
                }
            }
            return ModelSerializer.restoreComputationGraph(copy, false);
        } finally {
            Files.deleteIfExists(copy.toPath());
        }
    }

    /** The configuration JSON without the {@code ...Schedule} settings whose class this class path lacks. */
    static String withoutAbsentSchedules(String configuration) throws IOException {
        JsonNode root = JSON.readTree(configuration);
        List<JsonNode> pending = new ArrayList<>(List.of(root));
        while (!pending.isEmpty()) {
            JsonNode node = pending.remove(pending.size() - 1);
            if (node.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    if (field.getKey().endsWith("Schedule") && isAbsentClass(field.getValue())) {
                        fields.remove();
                    } else {
                        pending.add(field.getValue());
                    }
                }
            } else if (node.isArray()) {
                node.forEach(pending::add);
            }
        }
        return JSON.writeValueAsString(root);
    }

    private static boolean isAbsentClass(JsonNode value) {
        JsonNode type = value instanceof ObjectNode ? value.get("@class") : null;
        if (type == null) {
            return false;
        }
        try {
            Class.forName(type.asText(), false, InferenceNetwork.class.getClassLoader());
            return false;
        } catch (ClassNotFoundException e) {
            return true;
        }
    }
}
