package io.seresnext.model.serving;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * How a published model's input is made from an image, as {@code preprocessing.json} records it beside the
 * model: short side to {@code storedSize} and centre square ({@link SquareImage}), centre crop of
 * {@code imageSize}, {@code (pixel / 255 - mean) / std} per channel ({@link Normalisation}), RGB, NCHW. This is
 * the job's validation preprocessing; the file is plain JSON so that a reader in any language can follow it.
 *
 * @param labels the file beside the model that names the classes, one a line, in output order
 */
public record Preprocessing(int storedSize, int imageSize, List<Float> mean, List<Float> std, String labels) {

    public static final String FILE = "preprocessing.json";
    public static final String CHANNEL_ORDER = "RGB";
    public static final String LAYOUT = "NCHW";
    public static final String CROP = "centre";
    public static final int PIXEL_SCALE = 255;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public Preprocessing {
        if (imageSize < 1 || storedSize < imageSize) {
            throw new IllegalArgumentException("need 1 <= imageSize <= storedSize, got imageSize " + imageSize
                    + " and storedSize " + storedSize);
        }
        if (mean.size() != 3 || std.size() != 3 || std.stream().anyMatch(s -> !(s > 0))) {
            throw new IllegalArgumentException("need three means and three positive stds (R, G, B), got mean "
                    + mean + " and std " + std);
        }
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** The network input for one image: a 1 x 3 x imageSize x imageSize array of floats, flattened. */
    public float[] input(BufferedImage image) {
        byte[] square = SquareImage.rgb(image, storedSize);
        float[] out = new float[3 * imageSize * imageSize];
        int margin = (storedSize - imageSize) / 2; // the job's centre crop
        new Normalisation(floats(mean), floats(std)).writeCrop(square, 0, storedSize, margin, margin, imageSize,
                false, out, 0);
        return out;
    }

    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("storedSize", storedSize);
        node.put("imageSize", imageSize);
        node.put("crop", CROP);
        node.put("pixelScale", PIXEL_SCALE);
        ArrayNode m = node.putArray("mean");
        mean.forEach(m::add);
        ArrayNode s = node.putArray("std");
        std.forEach(s::add);
        node.put("channelOrder", CHANNEL_ORDER);
        node.put("layout", LAYOUT);
        node.put("labels", labels);
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("a tree of numbers and strings always writes", e);
        }
    }

    /**
     * Reads {@code preprocessing.json}; refuses one that asks for a preprocessing this class does not do.
     *
     * @param where the file, for messages
     */
    public static Preprocessing fromJson(String json, String where) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IOException(where + " is not JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IOException(where + " is not a JSON object");
        }
        expect(node, "crop", CROP, where);
        expect(node, "channelOrder", CHANNEL_ORDER, where);
        expect(node, "layout", LAYOUT, where);
        if (required(node, "pixelScale", where).asInt() != PIXEL_SCALE) {
            throw new IOException(where + ": pixelScale must be " + PIXEL_SCALE);
        }
        try {
            return new Preprocessing(required(node, "storedSize", where).asInt(),
                    required(node, "imageSize", where).asInt(), floatList(node, "mean", where),
                    floatList(node, "std", where), required(node, "labels", where).asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
    }

    private static JsonNode required(JsonNode node, String key, String where) throws IOException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            throw new IOException(where + " has no \"" + key + "\"");
        }
        return value;
    }

    private static void expect(JsonNode node, String key, String value, String where) throws IOException {
        String given = required(node, key, where).asText();
        if (!value.equals(given)) {
            throw new IOException(where + ": \"" + key + "\" is \"" + given + "\"; only \"" + value
                    + "\" is supported");
        }
    }

    private static List<Float> floatList(JsonNode node, String key, String where) throws IOException {
        JsonNode array = required(node, key, where);
        List<Float> out = new ArrayList<>();
        for (JsonNode v : array) {
            if (!v.isNumber()) {
                throw new IOException(where + ": \"" + key + "\" must hold numbers, got " + array);
            }
            out.add(v.floatValue());
        }
        return out;
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
