package io.seresnext.model.serving;

import java.io.File;
import java.io.IOException;
import java.util.Enumeration;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The one allow-list of model zip entries, for every reader of a model zip (the job's and a serving
 * application's). DL4J 1.0.0-M2.1's ModelSerializer deserializes the optional entry {@code preprocessor.bin} with
 * {@code ObjectInputStream.readObject()}, so a zip is checked against this list before DL4J opens it.
 */
public final class ModelZipEntries {

    /** What ModelSerializer writes for a network with its updater state, and nothing that holds Java objects. */
    public static final Set<String> ACCEPTED = Set.of("configuration.json", "coefficients.bin", "updaterState.bin",
            "noParams.marker");

    private ModelZipEntries() {
    }

    /**
     * The first entry of {@code zip} that is not accepted, or null when every entry is.
     *
     * @throws java.util.zip.ZipException when the file is not a zip
     */
    public static String firstUnaccepted(File zip) throws IOException {
        try (ZipFile file = new ZipFile(zip)) {
            Enumeration<? extends ZipEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (!ACCEPTED.contains(name)) {
                    return name;
                }
            }
        }
        return null;
    }

    /** Why a zip holding {@code entry} is refused, for error messages. */
    public static String refusal(String entry) {
        return "it holds the entry '" + entry + "', which this project never writes (DL4J would deserialize Java "
                + "objects from preprocessor.bin); accepted entries: " + ACCEPTED;
    }
}
