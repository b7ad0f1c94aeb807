package io.seresnext.job.registry;

import io.seresnext.job.output.EpochMetrics;
import java.util.List;

/**
 * Where a registered model came from, stored as {@code lineage.json} in its version directory.
 *
 * @param version               the version it was registered as (set by the registry)
 * @param registered            when the version directory was renamed into place (ISO-8601, UTC)
 * @param input                 the image folder it was trained on
 * @param shardCacheFingerprint the shard cache's fingerprint: same value, same decoded images
 * @param classes               class names in label order
 * @param metrics               the final epoch's figures (validation top-1, top-5 and loss among them)
 * @param parent                the registry version it was warm-started from, or null
 * @param initModel             the {@code --init-model} as given (a registry or a model.zip), or "" for none
 * @param codeVersion           the job jar's Implementation-Version, or "unknown"
 * @param started               when the run that published it started (for a resumed run: the resumption)
 * @param finished              when it published the model
 * @param config                the run's resolved configuration (HOCON, also in job.conf)
 */
public record Lineage(String version, String registered, String input, String shardCacheFingerprint,
                      List<String> classes, EpochMetrics metrics, Parent parent, String initModel,
                      String codeVersion, String started, String finished, String config) {

    /** A registry version a model was warm-started from. */
    public record Parent(String registry, String version) {
    }

    Lineage registeredAs(String name, String time) {
        return new Lineage(name, time, input, shardCacheFingerprint, classes, metrics, parent, initModel, codeVersion,
                started, finished, config);
    }

    /** The job jar's Implementation-Version (set in its manifest by the build), or "unknown" outside a jar. */
    public static String jarCodeVersion() {
        String v = Lineage.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "unknown" : v;
    }
}
