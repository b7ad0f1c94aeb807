package io.seresnext.job.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.output.AtomicFiles;
import io.seresnext.job.output.ModelStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model registry at any Hadoop URI, through the FileSystem API alone:
 * <pre>
 *   _REGISTRY                 marks the directory as a registry
 *   v0001/ v0002/ ...         immutable versions: model.zip labels.txt job.conf metrics.json _SUCCESS lineage.json
 *   promotions/000001.json    the current pointer and its history ({@link CurrentPointer})
 *   _claims/v0001 ...         version numbers taken (exclusive creation: one registration per number)
 *   _staging/                 versions being copied, renamed to vNNNN when complete
 * </pre>
 * A version directory appears whole or not at all, and is never written again. A registration that fails after
 * claiming its number leaves a gap in the numbering, never a partial version.
 */
public final class ModelRegistry {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    public static final String MARKER = "_REGISTRY";
    public static final String LINEAGE = "lineage.json";
    static final String CLAIMS = "_claims";
    static final String STAGING = "_staging";
    /** What a version holds besides its lineage: the published output's files, _SUCCESS last. */
    public static final List<String> PUBLISHED = List.of(ModelStore.MODEL, ModelStore.LABELS, ModelStore.CONFIG,
            ModelStore.METRICS, ModelStore.PREPROCESSING, ModelStore.SUCCESS);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;
    private final FileSystem fs;
    private final CurrentPointer pointer;

    private ModelRegistry(Path root, FileSystem fs) {
        this.root = root;
        this.fs = fs;
        this.pointer = new CurrentPointer(fs, root);
    }

    public Path root() {
        return root;
    }

    private static Path qualified(String uri, Configuration conf) {
        return new Path(HadoopFiles.qualified(uri, conf));
    }

    /** Whether {@code uri} is a registry's root (it holds the marker). */
    public static boolean isRegistry(String uri, Configuration conf) throws IOException {
        Path root = qualified(uri, conf);
        return HadoopFiles.fileSystem(root.toString(), conf).exists(new Path(root, MARKER));
    }

    /** An existing registry; anything else is bad input (exit status 2). */
    public static ModelRegistry open(String uri, Configuration conf) throws IOException {
        Path root = qualified(uri, conf);
        FileSystem fs = HadoopFiles.fileSystem(root.toString(), conf);
        if (!fs.exists(new Path(root, MARKER))) {
            throw new InvalidConfigException(root + " is not a model registry (it has no " + MARKER + " file; "
                    + "`train --register` creates one)");
        }
        return new ModelRegistry(root, fs);
    }

    /**
     * Refuses, before training, a {@code --register} target that is neither a registry nor an absent or empty
     * directory: registering into someone's data would mix versions with their files.
     */
    public static void checkRegistrable(String uri, Configuration conf) throws IOException {
        Path root = qualified(uri, conf);
        FileSystem fs = HadoopFiles.fileSystem(root.toString(), conf);
        if (!fs.exists(root) || fs.exists(new Path(root, MARKER))) {
            return;
        }
        // a marker still under its temporary name: another registration is creating the registry right now
        boolean empty = fs.getFileStatus(root).isDirectory() && java.util.Arrays.stream(fs.listStatus(root))
                .allMatch(s -> s.getPath().getName().startsWith("." + MARKER + ".tmp-"));
        // or has just created it, since the first look
        if (!empty && !fs.exists(new Path(root, MARKER))) {
            throw new InvalidConfigException("register: " + root + " is not a model registry and not empty; "
                    + "give a registry, a new path or an empty directory");
        }
    }

    /** The registry at {@code uri}, created there when the path is absent or an empty directory. */
    public static ModelRegistry openOrCreate(String uri, Configuration conf) throws IOException {
        checkRegistrable(uri, conf);
        Path root = qualified(uri, conf);
        FileSystem fs = HadoopFiles.fileSystem(root.toString(), conf);
        // two first registrations may race here: both markers say the same, the second simply finds one
        ExclusiveFiles.createNew(fs, new Path(root, MARKER),
                out -> out.write("{\"format\" : 1}\n".getBytes(StandardCharsets.UTF_8)));
        return new ModelRegistry(root, fs);
    }

    /**
     * Copies a published output (its files and a lineage) into the next free version. The first version of a
     * registry with nothing current becomes current; later ones wait for {@code registry promote}.
     */
    public RegistryVersion register(Path published, Lineage lineage) throws IOException {
        return register(published, lineage, true);
    }

    /** @param promoteIfFirst false where a quality gate decides even the first version's promotion */
    public RegistryVersion register(Path published, Lineage lineage, boolean promoteIfFirst) throws IOException {
        FileSystem source = HadoopFiles.fileSystem(published.toString(), fs.getConf());
        if (!source.exists(new Path(published, ModelStore.SUCCESS))) {
            throw new RegistryException("cannot register " + published + ": it is not a finished output (no "
                    + ModelStore.SUCCESS + ")");
        }
        int number = claim();
        String name = RegistryVersion.name(number);
        Path target = new Path(root, name);
        Path staging = new Path(new Path(root, STAGING), name + "-" + UUID.randomUUID());
        FileSystem out = AtomicFiles.writable(fs);
        try {
            out.mkdirs(staging);
            for (String file : PUBLISHED) {
                if (!FileUtil.copy(source, new Path(published, file), out, new Path(staging, file), false, true,
                        fs.getConf())) {
                    throw new IOException("copying " + file + " failed");
                }
            }
            Lineage registered = lineage.registeredAs(name, Instant.now().toString());
            try (java.io.OutputStream stream = out.create(new Path(staging, LINEAGE), false)) {
                JSON.writeValue(stream, registered);
            }
            // the number is ours (claimed), so nothing else renames onto this name; checked all the same, since
            // renaming onto an existing directory would move the copy inside it
            if (out.exists(target)) {
                throw new RegistryException(target + " exists although its number was just claimed");
            }
            AtomicFiles.moveDirectory(out, staging, target);
        } catch (IOException | RuntimeException e) {
            out.delete(staging, true);
            throw e;
        }
        log.info("Registered {} as {}", published, target);
        if (promoteIfFirst && pointer.promoteIfNone(name)) {
            log.info("{} is the registry's first version: now current", name);
        }
        return new RegistryVersion(name, number, target);
    }

    /** Takes the lowest number above every claimed one; a number another registration took first is skipped. */
    private int claim() throws IOException {
        Path claims = new Path(root, CLAIMS);
        int next = 1;
        if (fs.exists(claims)) {
            for (FileStatus s : fs.listStatus(claims)) {
                Optional<Integer> n = RegistryVersion.number(s.getPath().getName());
                if (n.isPresent()) {
                    next = Math.max(next, n.get() + 1);
                }
            }
        }
        for (int attempt = 0; attempt < 1000; attempt++, next++) {
            if (ExclusiveFiles.createNew(fs, new Path(claims, RegistryVersion.name(next)), o -> { })) {
                return next;
            }
        }
        throw new RegistryException("could not claim a version number in " + root);
    }

    /**
     * The version holding exactly this published output, if any: a version's {@code _SUCCESS} is a byte copy of the
     * output's, which lists the SHA-256 of every file, so equal markers mean the same run's files.
     */
    public Optional<RegistryVersion> versionOf(Path published) throws IOException {
        FileSystem source = HadoopFiles.fileSystem(published.toString(), fs.getConf());
        byte[] marker;
        try (InputStream in = source.open(new Path(published, ModelStore.SUCCESS))) {
            marker = in.readAllBytes();
        }
        for (RegistryVersion v : versions()) {
            try (InputStream in = fs.open(new Path(v.path(), ModelStore.SUCCESS))) {
                if (java.util.Arrays.equals(marker, in.readAllBytes())) {
                    return Optional.of(v);
                }
            } catch (FileNotFoundException e) {
                // a version from before markers were copied cannot be this run's
            }
        }
        return Optional.empty();
    }

    /** Whether {@code uri} is a registry with a current version (false for a path that is no registry yet). */
    public static boolean hasCurrent(String uri, Configuration conf) throws IOException {
        return isRegistry(uri, conf) && open(uri, conf).current().isPresent();
    }

    /** Every complete version, oldest first. */
    public List<RegistryVersion> versions() throws IOException {
        List<RegistryVersion> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(root)) {
            Optional<Integer> n = RegistryVersion.number(s.getPath().getName());
            if (s.isDirectory() && n.isPresent()) {
                out.add(new RegistryVersion(s.getPath().getName(), n.get(), s.getPath()));
            }
        }
        out.sort(Comparator.comparingInt(RegistryVersion::number));
        return out;
    }

    /** A version by what a user typed (v0003, v3 or 3); an unknown one is bad input (exit status 2). */
    public RegistryVersion version(String given) throws IOException {
        String name = RegistryVersion.normalise(given);
        Path dir = new Path(root, name);
        if (!fs.exists(dir)) {
            throw new InvalidConfigException("version " + given + " is not in the registry " + root
                    + " (`registry --registry " + root + " list` shows its versions)");
        }
        return new RegistryVersion(name, RegistryVersion.number(name).orElseThrow(), dir);
    }

    public Lineage lineage(RegistryVersion version) throws IOException {
        try (InputStream in = fs.open(new Path(version.path(), LINEAGE))) {
            return JSON.readValue(in, Lineage.class);
        } catch (FileNotFoundException e) {
            throw new RegistryException("version " + version.name() + " of " + root + " has no " + LINEAGE);
        }
    }

    /** The current version, or empty before the first registration. */
    public Optional<RegistryVersion> current() throws IOException {
        Optional<String> name = pointer.current();
        return name.isEmpty() ? Optional.empty() : Optional.of(version(name.get()));
    }

    /** Makes {@code version} current only while {@code expected} (or nothing) still is; false if current moved. */
    public boolean promoteIfCurrentIs(RegistryVersion version, Optional<RegistryVersion> expected) throws IOException {
        return pointer.promoteIfCurrentIs(version.name(), expected.map(RegistryVersion::name).orElse(null));
    }

    /** Makes a version current; false when it already was. */
    public boolean promote(RegistryVersion version) throws IOException {
        return pointer.promote(version.name());
    }

    /** Makes the version current before the latest promotion current again, and returns it. */
    public RegistryVersion rollback() throws IOException {
        return version(pointer.rollback());
    }

    /** The current pointer's history, oldest first. */
    List<CurrentPointer.Entry> history() throws IOException {
        return pointer.history();
    }

    /**
     * What {@code --init-model} (or any model URI) names: a registry's current version, or the URI itself.
     *
     * @return the model.zip to read, and the registry version it is (null when the URI is not a registry)
     */
    public static ModelSource resolve(String uri, Configuration conf) throws IOException {
        if (!isRegistry(uri, conf)) {
            return new ModelSource(uri, null);
        }
        ModelRegistry registry = open(uri, conf);
        RegistryVersion current = registry.current().orElseThrow(() -> new InvalidConfigException(
                "the registry " + registry.root() + " has no current version yet"));
        return new ModelSource(new Path(current.path(), ModelStore.MODEL).toString(),
                new Lineage.Parent(registry.root().toString(), current.name()));
    }

    /** A model to load: its model.zip URI, and the registry version it is, or null. */
    public record ModelSource(String modelZip, Lineage.Parent version) {
    }
}
