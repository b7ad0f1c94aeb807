package io.seresnext.job.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seresnext.job.config.InvalidConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The registry's {@code current} pointer, kept as an append-only log: {@code promotions/000001.json},
 * {@code 000002.json}, ... each naming a version; the highest-numbered entry is current.
 * <p>
 * Why a log of new files rather than one file replaced in place: an entry is created whole under a name nobody
 * has taken ({@link ExclusiveFiles}), so two promotions racing never overwrite each other (the loser re-reads and
 * takes the next number), a reader sees the previous entry or the new one and never a part, and nothing depends on
 * rename-with-overwrite, which differs between HDFS and local disks. The same log is the history that
 * {@code rollback} walks: promotions push a version, rollbacks pop one.
 */
final class CurrentPointer {

    static final String DIRECTORY = "promotions";
    private static final String ENTRY = "\\d{6,}\\.json";
    private static final int ATTEMPTS = 100;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One log entry: after it, {@code version} is current. {@code action}: promote or rollback. */
    record Entry(long sequence, String action, String version, String time) {
    }

    private final FileSystem fs;
    private final Path dir;

    CurrentPointer(FileSystem fs, Path registry) {
        this.fs = fs;
        this.dir = new Path(registry, DIRECTORY);
    }

    /** The version named by the newest entry, or empty before the first promotion. */
    Optional<String> current() throws IOException {
        List<Path> entries = entries();
        return entries.isEmpty() ? Optional.empty() : Optional.of(read(entries.get(entries.size() - 1)).version());
    }

    /** Every entry, oldest first. */
    List<Entry> history() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (Path p : entries()) {
            out.add(read(p));
        }
        return out;
    }

    /** Makes {@code version} current unless it already is; false when it already was. */
    boolean promote(String version) throws IOException {
        return append("promote", history -> {
            Deque<String> stack = stack(history);
            return version.equals(stack.peek()) ? null : version;
        }) != null;
    }

    /**
     * Makes {@code version} current only while {@code expected} (null: nothing) still is, as one step against
     * other writers; false when current has moved on. Already current and expected: nothing to do, true.
     */
    boolean promoteIfCurrentIs(String version, String expected) throws IOException {
        boolean[] moved = {false};
        append("promote", history -> {
            String top = stack(history).peek();
            if (!java.util.Objects.equals(top, expected)) {
                moved[0] = true;
                return null;
            }
            return version.equals(top) ? null : version;
        });
        return !moved[0];
    }

    /** Makes {@code version} current only if nothing is current yet (a fresh registry's first version). */
    boolean promoteIfNone(String version) throws IOException {
        return append("promote", history -> history.isEmpty() ? version : null) != null;
    }

    /** Goes back to the version that was current before the current one was promoted; returns it. */
    String rollback() throws IOException {
        return append("rollback", history -> {
            Deque<String> stack = stack(history);
            if (stack.size() < 2) {
                throw new InvalidConfigException("rollback: nothing to go back to in " + dir.getParent()
                        + (stack.isEmpty() ? " (no version was ever promoted)"
                        : " (" + stack.peek() + " is the first promoted version still in the history)"));
            }
            stack.pop();
            return stack.peek();
        });
    }

    /**
     * Promotions push their version, rollbacks pop back to the one before; the top is current. A rollback
     * therefore undoes the latest promotion not yet undone, and a second rollback goes one further back.
     */
    static Deque<String> stack(List<Entry> history) {
        Deque<String> stack = new ArrayDeque<>();
        for (Entry e : history) {
            if (e.action().equals("rollback")) {
                stack.pop();
            } else {
                stack.push(e.version());
            }
        }
        return stack;
    }

    /**
     * Appends the entry {@code next} computes from the history (null: append nothing), under the next free number;
     * when another writer takes that number first, reads the history again and retries.
     */
    private String append(String action, Function<List<Entry>, String> next) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            List<Entry> history = history();
            String version = next.apply(history);
            if (version == null) {
                return null;
            }
            long sequence = history.isEmpty() ? 1 : history.get(history.size() - 1).sequence() + 1;
            Entry entry = new Entry(sequence, action, version, Instant.now().toString());
            if (ExclusiveFiles.createNew(fs, new Path(dir, entryName(sequence)), out -> JSON.writeValue(out, entry))) {
                return version;
            }
        }
        throw new RegistryException("could not " + action + " in " + dir.getParent() + ": " + ATTEMPTS
                + " other promotions took each number first");
    }

    static String entryName(long sequence) {
        return String.format(Locale.ROOT, "%06d.json", sequence);
    }

    private List<Path> entries() throws IOException {
        if (!fs.exists(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isFile() && s.getPath().getName().matches(ENTRY)) {
                out.add(s.getPath());
            }
        }
        out.sort(Comparator.comparingLong(p -> Long.parseLong(p.getName().replace(".json", ""))));
        return out;
    }

    private Entry read(Path entry) throws IOException {
        try (InputStream in = fs.open(entry)) {
            return JSON.readValue(in, Entry.class);
        }
    }
}
