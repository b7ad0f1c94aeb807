package io.seresnext.job.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.data.DataException;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.registry.ModelRegistry;
import io.seresnext.model.SeResNeXtGraph;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A model directory that {@code train} published ({@link ModelStore}'s layout), read for scoring: the network
 * (through the project's safe model-zip reader), its class names, the preprocessing it was trained with, and the
 * provenance files it carries. Anything missing or malformed is refused with an error naming the file (the cheap
 * checks first); these are the user's {@code --model}, so the errors are bad input.
 *
 * @param directory   the published directory, qualified
 * @param sha256      of model.zip: identifies the exact weights scored
 * @param config      the training run's resolved configuration (its job.conf)
 * @param configText  job.conf as stored
 * @param metrics     metrics.json as stored, or null when the directory has none
 */
public record PublishedModel(String directory, ComputationGraph network, List<String> classes, String sha256,
                             JobConfig config, String configText, JsonNode metrics) {

    /** @param uri the published directory, its model.zip, or a registry (meaning its current version) */
    public static PublishedModel read(String uri, Configuration conf) throws IOException {
        Path dir = new Path(HadoopFiles.qualified(ModelRegistry.resolve(uri, conf).modelZip(), conf));
        FileSystem fs = HadoopFiles.fileSystem(dir.toString(), conf);
        FileStatus given = status(fs, dir);
        if (given != null && given.isFile() && dir.getName().equals(ModelStore.MODEL)) {
            dir = dir.getParent();
        } else if (given == null || !given.isDirectory()) {
            throw new DataException("--model: no published model directory at " + dir);
        }
        Path zip = new Path(dir, ModelStore.MODEL);
        if (!fs.exists(zip)) {
            throw new DataException("--model: " + dir + " holds no " + ModelStore.MODEL);
        }
        if (!fs.exists(new Path(dir, ModelStore.SUCCESS))) {
            // without the marker the files may come from two different runs (a publish that stopped half-way)
            throw new DataException("--model: " + dir + " has no " + ModelStore.SUCCESS + " marker: its "
                    + "publication did not finish, so its files may not belong together");
        }
        List<String> classes = labels(fs, new Path(dir, ModelStore.LABELS));
        Path confPath = new Path(dir, ModelStore.CONFIG);
        String configText = text(fs, confPath);
        JobConfig config = JobConfigLoader.fromStored(configText, confPath.toString());
        ComputationGraph network = network(zip, conf); // last: the costly read
        long outputs = network.layerSize(SeResNeXtGraph.OUTPUT);
        if (outputs != classes.size()) {
            throw new DataException("--model: " + new Path(dir, ModelStore.LABELS) + " names "
                    + classes.size() + " classes but " + zip + " has " + outputs + " outputs");
        }
        Path metricsPath = new Path(dir, ModelStore.METRICS);
        JsonNode metrics = fs.exists(metricsPath) ? new ObjectMapper().readTree(text(fs, metricsPath)) : null;
        return new PublishedModel(dir.toString(), network, classes, sha256(fs, zip), config, configText, metrics);
    }

    private static ComputationGraph network(Path zip, Configuration conf) throws IOException {
        try {
            return ModelStore.readModel(zip.toString(), conf);
        } catch (OutputException e) {
            throw new DataException("--model: " + e.getMessage());
        } catch (RuntimeException e) { // DL4J's own complaints about a zip with the right entries but no model
            throw new DataException("--model: " + zip + " is not a model DL4J can read: " + e);
        }
    }

    private static FileStatus status(FileSystem fs, Path path) throws IOException {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private static List<String> labels(FileSystem fs, Path path) throws IOException {
        List<String> names = Arrays.stream(text(fs, path).split("\n")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
        if (names.size() < 2 || names.size() != names.stream().distinct().count()) {
            throw new DataException("--model: " + path + " must name two or more distinct classes, one a "
                    + "line; it names " + names);
        }
        return names;
    }

    private static String text(FileSystem fs, Path path) throws IOException {
        try (InputStream in = fs.open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (FileNotFoundException e) {
            throw new DataException("--model: " + path + " is missing");
        }
    }

    private static String sha256(FileSystem fs, Path path) throws IOException {
        try (DigestInputStream in = new DigestInputStream(fs.open(path), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
