package io.seresnext.job.registry;

import io.seresnext.job.output.EpochMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/** {@code registry --registry URI list | show VERSION | promote VERSION | rollback}, printed for people. */
public final class RegistryCommand {

    /** What to do with the registry; {@code version} only for show and promote. */
    public enum Action { LIST, SHOW, PROMOTE, ROLLBACK }

    private RegistryCommand() {
    }

    public static void run(String uri, Action action, String version, Configuration conf, PrintStream out)
            throws IOException {
        ModelRegistry registry = ModelRegistry.open(uri, conf);
        switch (action) {
            case LIST -> list(registry, out);
            case SHOW -> {
                RegistryVersion v = registry.version(version);
                Optional<RegistryVersion> current = registry.current();
                out.println("# " + v.path() + (current.isPresent() && current.get().equals(v) ? " (current)" : ""));
                out.println(new com.fasterxml.jackson.databind.ObjectMapper()
                        .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(registry.lineage(v)));
            }
            case PROMOTE -> {
                RegistryVersion v = registry.version(version);
                out.println(registry.promote(v) ? "current: " + v.name() : v.name() + " is already current");
            }
            case ROLLBACK -> out.println("current: " + registry.rollback().name());
        }
    }

    /** One line per version, oldest first; {@code *} marks the current one. */
    static void list(ModelRegistry registry, PrintStream out) throws IOException {
        String current = registry.current().map(RegistryVersion::name).orElse("");
        out.printf(Locale.ROOT, "  %-8s %-24s %7s %-8s %s%n", "VERSION", "REGISTERED", "TOP-1", "PARENT", "INPUT");
        for (RegistryVersion v : registry.versions()) {
            Lineage l = registry.lineage(v);
            EpochMetrics m = l.metrics();
            out.printf(Locale.ROOT, "%s %-8s %-24s %6.2f%% %-8s %s%n", v.name().equals(current) ? "*" : " ", v.name(),
                    l.registered(), m == null ? Double.NaN : 100 * m.top1(),
                    l.parent() == null ? "-" : l.parent().version(), l.input());
        }
    }
}
