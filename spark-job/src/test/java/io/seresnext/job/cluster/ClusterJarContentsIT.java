package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.job.testing.ClusterRuns;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * What the shade configuration leaves out of the cluster jar. fastutil (14.5 MB compressed) is excluded because the
 * only classes in the jar that refer to it are ones the job never loads (it reads images with its own loader, not
 * DataVec's record readers, and adds no score collector); the cluster ITs train with both masters through this jar.
 * When a dependency upgrade adds a class that refers to fastutil, this test names it, to be checked before the
 * exclusion stays.
 */
class ClusterJarContentsIT {

    private static final String FASTUTIL = "it/unimi/dsi/fastutil/";

    /** DL4J's score-collecting listener, DataVec's record-to-array converter, stream-lib's quantile digest. */
    private static final Set<String> KNOWN_USERS = Set.of(
            "org/deeplearning4j/optimize/listeners/CollectScoresListener.class",
            "org/datavec/api/util/ndarray/RecordConverter.class",
            "com/clearspring/analytics/stream/quantile/QDigest.class");

    @Test
    void fastutilIsLeftOutAndOnlyTheKnownClassesReferToIt() throws IOException {
        ClusterRuns.requireClusterJar();
        Set<String> packaged = new TreeSet<>();
        Set<String> users = new TreeSet<>();
        try (ZipFile jar = new ZipFile("target/spark-job-cluster.jar")) {
            Enumeration<? extends ZipEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.getName().startsWith(FASTUTIL)) {
                    packaged.add(entry.getName());
                } else if (entry.getName().endsWith(".class") && refersToFastutil(jar, entry)) {
                    users.add(entry.getName());
                }
            }
        }
        assertTrue(packaged.isEmpty(), "fastutil is excluded from the cluster jar, found " + packaged.size()
                + " entries, e.g. " + packaged.stream().limit(3).toList());
        assertEquals(new TreeSet<>(KNOWN_USERS), users, "classes in the cluster jar that refer to the excluded "
                + "fastutil: a new one may fail at run time with NoClassDefFoundError");
    }

    /** A class names each class it uses in its constant pool, as a UTF-8 string. */
    private static boolean refersToFastutil(ZipFile jar, ZipEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(FASTUTIL);
        }
    }
}
