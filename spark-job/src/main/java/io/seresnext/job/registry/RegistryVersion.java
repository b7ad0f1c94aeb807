package io.seresnext.job.registry;

import io.seresnext.job.config.InvalidConfigException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;

/** One registered version: its name ({@code v0001}), its number and its directory. */
public record RegistryVersion(String name, int number, Path path) {

    private static final Pattern NAME = Pattern.compile("v(\\d{4,})");
    private static final Pattern GIVEN = Pattern.compile("v?0*(\\d+)", Pattern.CASE_INSENSITIVE);

    static String name(int number) {
        return String.format(Locale.ROOT, "v%04d", number);
    }

    /** The number of a directory name such as {@code v0012}; empty for anything else. */
    static Optional<Integer> number(String directoryName) {
        Matcher m = NAME.matcher(directoryName);
        return m.matches() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }

    /** What a user typed ({@code v0012}, {@code v12} or {@code 12}) as a version name. */
    static String normalise(String given) {
        Matcher m = GIVEN.matcher(given.strip());
        if (!m.matches() || m.group(1).length() > 9 || Integer.parseInt(m.group(1)) < 1) {
            throw new InvalidConfigException("'" + given + "' is not a version name (v0001, v12 or 12)");
        }
        return name(Integer.parseInt(m.group(1)));
    }
}
