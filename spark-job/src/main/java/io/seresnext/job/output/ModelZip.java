package io.seresnext.job.output;

import io.seresnext.model.serving.ModelZipEntries;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Reads a model zip as data, never as code. DL4J 1.0.0-M2.1's ModelSerializer deserializes the optional entry
 * {@code preprocessor.bin} with {@code ObjectInputStream.readObject()}, so a zip from a path someone else can
 * write (an init model, a checkpoint, a registry) could run arbitrary code through the class path's libraries.
 * Only the entries this project writes are accepted ({@link ModelZipEntries}, the list a serving application
 * checks too); anything else is refused, by name, before DL4J opens the zip.
 */
final class ModelZip {

    private ModelZip() {
    }

    /**
     * @param where    the zip's URI, for messages
     * @param expected the digest recorded when the zip was written, or null where none was
     */
    static ComputationGraph read(InputStream in, String where, Checksums.Expected expected) throws IOException {
        // one local copy, as ModelSerializer makes of a stream anyway: the zip's directory is read without
        // reading its entries, and its digest checked before any of it is
        File local = Files.createTempFile("model", ".zip").toFile();
        try {
            MessageDigest digest = Checksums.sha256();
            Files.copy(new DigestInputStream(in, digest), local.toPath(), StandardCopyOption.REPLACE_EXISTING);
            String actual = Checksums.hex(digest);
            if (expected != null && !expected.sha256().equals(actual)) {
                throw new OutputException("the model " + where + " is corrupt: its SHA-256 is " + actual + " but "
                        + expected.recordedIn() + " recorded " + expected.sha256() + " when it was written");
            }
            checkEntries(local, where);
            return ModelSerializer.restoreComputationGraph(local, true);
        } finally {
            Files.deleteIfExists(local.toPath());
        }
    }

    static void checkEntries(File zip, String where) throws IOException {
        String unaccepted;
        try {
            unaccepted = ModelZipEntries.firstUnaccepted(zip);
        } catch (java.util.zip.ZipException e) {
            throw new OutputException("not a model zip: " + where + " (" + e.getMessage() + ")");
        }
        if (unaccepted != null) {
            throw new OutputException("refusing the model " + where + ": " + ModelZipEntries.refusal(unaccepted));
        }
    }
}
