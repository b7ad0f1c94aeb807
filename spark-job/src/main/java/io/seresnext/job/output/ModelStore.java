package io.seresnext.job.output;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.model.serving.Preprocessing;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's output directory on a Hadoop filesystem:
 * <pre>
 *   model.zip      the trained network with its updater state (ModelSerializer), replaced atomically
 *   labels.txt     class names, one per line, in label order
 *   job.conf       the resolved configuration of the run
 *   metrics.json   per-epoch metrics
 *   preprocessing.json   how to prepare an image for the model outside the job (model-defs' Preprocessing)
 *   report.html    the run for people (report.HtmlReport); not among _SUCCESS's digests, as no reader depends on it
 *   _SUCCESS       written last: the run finished and the files above belong together; holds their SHA-256
 *   _RUNNING       while a run is writing here (RunLock)
 *   checkpoints/epoch-NNNN/{model.zip,model.zip.sha256,state.json}   the last K epochs, each renamed into place
 *                  when complete
 * </pre>
 * Nothing is ever written in place: a crash leaves the previous model or the new one.
 */
public final class ModelStore {

    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);
    public static final String MODEL = "model.zip";
    public static final String LABELS = "labels.txt";
    public static final String CONFIG = "job.conf";
    public static final String METRICS = "metrics.json";
    public static final String PREPROCESSING = Preprocessing.FILE;
    public static final String REPORT = "report.html";
    public static final String SUCCESS = "_SUCCESS";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String STATE = "state.json";
    public static final String MODEL_SHA256 = MODEL + ".sha256";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;
    private final FileSystem fs;
    private RunLock heldLock;

    /** A checkpoint as read back: the network (with updater state) and where the run stood. */
    public record Checkpoint(Path path, ComputationGraph network, TrainingState state) {
    }

    public ModelStore(String output, Configuration conf) {
        this.root = new Path(HadoopFiles.qualified(output, conf));
        this.fs = HadoopFiles.fileSystem(root.toString(), conf);
    }

    public Path root() {
        return root;
    }

    /**
     * Refuses an output that already holds a model or checkpoints unless the run overwrites or resumes it. Changes
     * nothing: this runs before the input is checked.
     */
    public void checkUsable(boolean overwrite, boolean resume) throws IOException {
        boolean hasModel = fs.exists(new Path(root, MODEL));
        boolean hasCheckpoints = !checkpoints().isEmpty(); // finished ones: a killed write leaves only a _tmp-
        if (resume && !hasCheckpoints) {
            throw new OutputException("--resume: output " + root + " has no checkpoints to resume from");
        }
        if (!resume && (hasModel || hasCheckpoints) && !overwrite) {
            throw new OutputException("output " + root + " already holds a " + (hasModel ? "model" : "run")
                    + "; pass --overwrite to replace it or --resume to continue it");
        }
    }

    /** Where a run under this output stands, for a scheduler's rerun. */
    public enum RunState { EMPTY, INTERRUPTED, FINISHED }

    public RunState runState() throws IOException {
        if (fs.exists(new Path(root, SUCCESS))) {
            return RunState.FINISHED;
        }
        return checkpoints().isEmpty() ? RunState.EMPTY : RunState.INTERRUPTED;
    }

    /** A finished run's state as published: its classes, configuration and metrics. */
    public TrainingState published() throws IOException {
        String config;
        try (InputStream in = fs.open(new Path(root, CONFIG))) {
            config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<EpochMetrics> metrics;
        try (InputStream in = fs.open(new Path(root, METRICS))) {
            metrics = List.of(JSON.readValue(in, EpochMetrics[].class));
        }
        int epochs = metrics.isEmpty() ? 0 : metrics.get(metrics.size() - 1).epoch();
        return new TrainingState(readLabels(), config, epochs, 0, metrics);
    }

    /**
     * This run's hold on the output directory; a second run on it is refused until this one ends. From here on,
     * checkpoints and the model are written only while the lock is still this run's.
     */
    public RunLock lock() throws IOException {
        heldLock = RunLock.acquire(fs, root);
        return heldLock;
    }

    private void assertStillHeld() {
        if (heldLock != null) {
            heldLock.assertHeld();
        }
    }

    /**
     * Makes room for a new run once its input has passed every check: with overwrite the old checkpoints and
     * success marker go now, while the old model stays readable until the new one replaces it.
     */
    public void startRun(boolean overwrite) throws IOException {
        if (overwrite) {
            fs.delete(new Path(root, CHECKPOINTS), true);
            fs.delete(new Path(root, SUCCESS), false);
        }
        fs.mkdirs(root);
    }

    /** How a serving application prepares images for a model trained with {@code config} (its validation pass). */
    public static Preprocessing preprocessing(JobConfig config) {
        return new Preprocessing(config.data().storedSize(), config.model().imageSize(), config.data().mean(),
                config.data().std(), LABELS);
    }

    /** The final model and its companions, then the success marker, which records their digests. */
    public void publish(ComputationGraph network, TrainingState state, Preprocessing preprocessing)
            throws IOException {
        publish(network, state, preprocessing, null);
    }

    /** As {@link #publish(ComputationGraph, TrainingState, Preprocessing)}, with the report page (null: none). */
    public void publish(ComputationGraph network, TrainingState state, Preprocessing preprocessing,
                        byte[] reportHtml) throws IOException {
        assertStillHeld();
        Path success = new Path(root, SUCCESS);
        try {
            fs.delete(success, false);
        } catch (IOException e) { // the first write of a publish: an output made read-only fails here
            throw WriteFailure.explain("the success marker", success, e);
        }
        StringBuilder digests = new StringBuilder();
        digests.append(Checksums.line(writeModel(new Path(root, MODEL), network), MODEL));
        byte[] labels = (String.join("\n", state.classes()) + "\n").getBytes(StandardCharsets.UTF_8);
        digests.append(Checksums.line(writeDigested(new Path(root, LABELS), out -> out.write(labels)), LABELS));
        byte[] config = state.config().getBytes(StandardCharsets.UTF_8);
        digests.append(Checksums.line(writeDigested(new Path(root, CONFIG), out -> out.write(config)), CONFIG));
        digests.append(Checksums.line(writeDigested(new Path(root, METRICS),
                out -> JSON.writeValue(out, state.metrics())), METRICS));
        byte[] prep = preprocessing.toJson().getBytes(StandardCharsets.UTF_8);
        digests.append(Checksums.line(writeDigested(new Path(root, PREPROCESSING), out -> out.write(prep)),
                PREPROCESSING));
        if (reportHtml != null) {
            atomically(new Path(root, REPORT), out -> out.write(reportHtml));
        }
        atomically(new Path(root, SUCCESS), out -> out.write(digests.toString().getBytes(StandardCharsets.UTF_8)));
        log.info("Published the model to {}", new Path(root, MODEL));
    }

    /** Writes the network to a temporary name, then renames it over the target; returns its SHA-256. */
    String writeModel(Path target, ComputationGraph network) throws IOException {
        return writeDigested(target, out -> ModelSerializer.writeModel(network, out, true));
    }

    private String writeDigested(Path target, AtomicFiles.Writer writer) throws IOException {
        MessageDigest digest = Checksums.sha256();
        atomically(target, out -> writer.write(new DigestOutputStream(out, digest)));
        return Checksums.hex(digest);
    }

    /**
     * One published file, all or nothing; a failure (a full disk, a quota, a permission) names the file. The
     * success marker was removed first, so a publish that stops here is never taken for a finished model.
     */
    private void atomically(Path target, AtomicFiles.Writer writer) {
        try {
            AtomicFiles.write(fs, target, writer);
        } catch (IOException e) {
            throw WriteFailure.explain("the published file", target, e);
        }
    }

    /** A checkpoint directory for the epoch just finished; keeps the newest {@code keep}. */
    public Path checkpoint(ComputationGraph network, TrainingState state, int keep) throws IOException {
        assertStillHeld();
        Path dir = new Path(root, CHECKPOINTS);
        Path finished = new Path(dir, checkpointName(state.completedEpochs()));
        Path tmp = new Path(dir, "_tmp-" + finished.getName() + "-" + UUID.randomUUID());
        FileSystem out = AtomicFiles.writable(fs);
        try {
            writeCheckpoint(out, tmp, network, state);
            if (out.exists(finished)) {
                out.delete(finished, true); // from an interrupted run that got this far before
            }
            AtomicFiles.moveDirectory(out, tmp, finished);
        } catch (IOException e) {
            deleteQuietly(out, tmp); // a part of a checkpoint is never read, but it holds space a full disk lacks
            throw WriteFailure.explain("the checkpoint", finished, e);
        }
        List<Path> all = checkpoints();
        for (int i = 0; i < all.size() - keep; i++) {
            out.delete(all.get(i), true);
        }
        return finished;
    }

    private static void writeCheckpoint(FileSystem out, Path tmp, ComputationGraph network, TrainingState state)
            throws IOException {
        out.mkdirs(tmp);
        MessageDigest digest = Checksums.sha256();
        try (OutputStream stream = AtomicFiles.create(out, new Path(tmp, MODEL))) {
            ModelSerializer.writeModel(network, new DigestOutputStream(stream, digest), true);
        }
        try (OutputStream stream = AtomicFiles.create(out, new Path(tmp, MODEL_SHA256))) {
            stream.write(Checksums.line(Checksums.hex(digest), MODEL).getBytes(StandardCharsets.UTF_8));
        }
        try (OutputStream stream = AtomicFiles.create(out, new Path(tmp, STATE))) {
            JSON.writeValue(stream, state);
        }
    }

    private static void deleteQuietly(FileSystem fs, Path path) {
        try {
            if (fs.exists(path)) {
                fs.delete(path, true);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Could not remove the unfinished {}: {}", path, e.toString());
        }
    }

    static String checkpointName(int epoch) {
        return String.format(Locale.ROOT, "epoch-%04d", epoch);
    }

    /** Finished checkpoints, oldest first. */
    public List<Path> checkpoints() throws IOException {
        Path dir = new Path(root, CHECKPOINTS);
        if (!fs.exists(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isDirectory() && s.getPath().getName().matches("epoch-\\d{4,}")) {
                out.add(s.getPath());
            }
        }
        out.sort(Comparator.comparing(Path::getName));
        return out;
    }

    /**
     * The newest checkpoint that reads back whole; a damaged one (its model failing its digest, or unreadable) is
     * skipped with a warning in favour of the one before.
     *
     * @throws OutputException when checkpoints exist but none is usable, naming what was wrong with each
     */
    public Optional<Checkpoint> latestCheckpoint() throws IOException {
        List<Path> all = checkpoints();
        List<String> damaged = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Path dir = all.get(i);
            try {
                TrainingState state;
                try (InputStream in = fs.open(new Path(dir, STATE))) {
                    state = JSON.readValue(in, TrainingState.class);
                }
                return Optional.of(new Checkpoint(dir, readModel(new Path(dir, MODEL)), state));
            } catch (IOException | RuntimeException e) {
                log.warn("Skipping the damaged checkpoint {}: {}", dir, e.getMessage());
                damaged.add(dir.getName() + ": " + e.getMessage());
            }
        }
        if (!damaged.isEmpty()) {
            throw new OutputException("no usable checkpoint under " + new Path(root, CHECKPOINTS) + ": " + damaged);
        }
        return Optional.empty();
    }

    public ComputationGraph readModel(Path path) throws IOException {
        return readModel(fs, path);
    }

    /** A model zip at any Hadoop URI, with its updater state. */
    public static ComputationGraph readModel(String uri, Configuration conf) throws IOException {
        Path path = new Path(HadoopFiles.qualified(uri, conf));
        return readModel(HadoopFiles.fileSystem(path.toString(), conf), path);
    }

    /** Checked against the digest its directory records (a checkpoint's model.zip.sha256, an output's _SUCCESS). */
    private static ComputationGraph readModel(FileSystem fs, Path path) throws IOException {
        Checksums.Expected expected = Checksums.recorded(fs, new Path(path.getParent(), MODEL_SHA256),
                path.getName());
        if (expected == null) {
            expected = Checksums.recorded(fs, new Path(path.getParent(), SUCCESS), path.getName());
        }
        try (InputStream in = fs.open(path)) {
            return ModelZip.read(in, path.toString(), expected);
        } catch (FileNotFoundException e) {
            throw new OutputException("no model at " + path);
        }
    }

    public List<String> readLabels() throws IOException {
        try (InputStream in = fs.open(new Path(root, LABELS))) {
            return Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split("\n"));
        }
    }
}
