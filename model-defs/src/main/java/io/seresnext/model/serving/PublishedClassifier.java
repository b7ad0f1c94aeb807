package io.seresnext.model.serving;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.seresnext.model.SeResNeXtGraph;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A model that {@code train} published, loaded from a local directory by a plain Java application (DL4J and
 * this module only, no Spark): {@code model.zip}, the class names and {@code preprocessing.json}, each checked
 * against the SHA-256 that {@code _SUCCESS} records, the zip also against {@link ModelZipEntries} before DL4J
 * reads it. {@link #classify} prepares an image exactly as the job's validation pass does.
 */
public final class PublishedClassifier {

    public static final String MODEL = "model.zip";
    public static final String SUCCESS = "_SUCCESS";

    /** One class and its probability. */
    public record Prediction(String label, double probability) {
    }

    private final ComputationGraph network;
    private final List<String> labels;
    private final Preprocessing preprocessing;

    private PublishedClassifier(ComputationGraph network, List<String> labels, Preprocessing preprocessing) {
        this.network = network;
        this.labels = labels;
        this.preprocessing = preprocessing;
    }

    /** @param directory a published output directory, copied to a local disk */
    public static PublishedClassifier load(Path directory) throws IOException {
        Map<String, String> recorded = recordedDigests(directory);
        Path preprocessingFile = directory.resolve(Preprocessing.FILE);
        Preprocessing preprocessing = Preprocessing.fromJson(text(verified(preprocessingFile, recorded)),
                preprocessingFile.toString());
        Path labelsFile = directory.resolve(preprocessing.labels());
        List<String> labels = Arrays.stream(text(verified(labelsFile, recorded)).split("\n")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
        Path zip = directory.resolve(MODEL);
        verified(zip, recorded);
        String unaccepted = ModelZipEntries.firstUnaccepted(zip.toFile());
        if (unaccepted != null) {
            throw new IOException("refusing the model " + zip + ": " + ModelZipEntries.refusal(unaccepted));
        }
        ComputationGraph network = InferenceNetwork.read(zip.toFile());
        long outputs = network.layerSize(SeResNeXtGraph.OUTPUT);
        if (outputs != labels.size()) {
            throw new IOException(labelsFile + " names " + labels.size() + " classes but " + zip + " has "
                    + outputs + " outputs");
        }
        return new PublishedClassifier(network, labels, preprocessing);
    }

    public List<String> labels() {
        return labels;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The class probabilities for one image, in label order. Synchronized: a network's forward pass is not. */
    public synchronized float[] probabilities(BufferedImage image) {
        int size = preprocessing.imageSize();
        INDArray input = Nd4j.create(preprocessing.input(image), new long[] {1, 3, size, size}, 'c');
        return network.output(false, input)[0].toFloatVector();
    }

    /** The {@code k} most probable classes, most probable first. */
    public List<Prediction> classify(BufferedImage image, int k) {
        float[] p = probabilities(image);
        List<Prediction> all = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            all.add(new Prediction(labels.get(i), p[i]));
        }
        all.sort(Comparator.comparingDouble(Prediction::probability).reversed()); // stable: ties keep label order
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    /** _SUCCESS's {@code sha256  name} lines: without it the files may come from two different runs. */
    private static Map<String, String> recordedDigests(Path directory) throws IOException {
        Map<String, String> digests = new LinkedHashMap<>();
        for (String line : text(directory.resolve(SUCCESS)).split("\n")) {
            int gap = line.indexOf("  ");
            if (gap == 64) {
                digests.put(line.substring(gap + 2).strip(), line.substring(0, gap));
            }
        }
        return digests;
    }

    private static Path verified(Path file, Map<String, String> recorded) throws IOException {
        String expected = recorded.get(file.getFileName().toString());
        if (expected == null) {
            throw new IOException(file + " is not recorded in " + SUCCESS + "; publish the model again with a "
                    + "train that writes " + Preprocessing.FILE);
        }
        String actual = sha256(file);
        if (!expected.equals(actual)) {
            throw new IOException(file + " is corrupt: its SHA-256 is " + actual + " but " + SUCCESS
                    + " recorded " + expected + " when it was written");
        }
        return file;
    }

    private static String sha256(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (var in = new java.security.DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String text(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " is missing");
        }
    }
}
