package io.seresnext.job.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model zips are read as data: a zip carrying a serialized Java object is refused before anything is deserialized. */
class ModelZipTest {

    /** Set if anything ever deserializes the planted object. */
    static volatile boolean deserialized;

    /** What an attacker would plant: any class whose deserialization runs code. */
    static final class Tripwire implements Serializable {
        private static final long serialVersionUID = 1L;

        private void readObject(ObjectInputStream in) {
            deserialized = true;
        }
    }

    @TempDir
    Path dir;

    private File model() throws Exception {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8).withNumClasses(3)));
        net.init();
        File zip = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        return zip;
    }

    @Test
    void aModelThisProjectWroteIsRead() throws Exception {
        File zip = model();
        try (FileInputStream in = new FileInputStream(zip)) {
            ComputationGraph read = ModelZip.read(in, zip.toString(), null);
            assertEquals(3, read.getLayer(SeResNeXtGraph.OUTPUT).getParam("W").size(1));
        }
    }

    @Test
    void aZipCarryingASerializedObjectIsRefusedBeforeItIsDeserialized() throws Exception {
        File clean = model();
        File planted = dir.resolve("planted.zip").toFile();
        try (ZipFile in = new ZipFile(clean);
             ZipOutputStream out = new ZipOutputStream(new FileOutputStream(planted))) {
            for (Enumeration<? extends ZipEntry> e = in.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                out.putNextEntry(new ZipEntry(entry.getName()));
                in.getInputStream(entry).transferTo(out);
                out.closeEntry();
            }
            ByteArrayOutputStream object = new ByteArrayOutputStream();
            try (ObjectOutputStream oos = new ObjectOutputStream(object)) {
                oos.writeObject(new Tripwire());
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            out.write(object.toByteArray());
            out.closeEntry();
        }
        // DL4J alone deserializes the entry (and only then fails to cast it): the tripwire shows the attack would run
        try {
            ModelSerializer.restoreComputationGraph(planted, false);
        } catch (ClassCastException afterDeserializing) {
            // the object was read before DL4J cast it to a DataSetPreProcessor
        }
        assertTrue(deserialized, "DL4J deserializes preprocessor.bin, the reason for the check");
        deserialized = false;

        try (FileInputStream in = new FileInputStream(planted)) {
            OutputException e = assertThrows(OutputException.class, () -> ModelZip.read(in, planted.toString(), null));
            assertTrue(e.getMessage().contains("preprocessor.bin") && e.getMessage().contains(planted.toString()),
                    e.getMessage());
        }
        assertFalse(deserialized, "refused before anything was deserialized");
    }

    @Test
    void aFileThatIsNoZipIsRefusedByName() throws Exception {
        File junk = dir.resolve("junk.zip").toFile();
        Files.writeString(junk.toPath(), "not a zip");
        try (FileInputStream in = new FileInputStream(junk)) {
            OutputException e = assertThrows(OutputException.class, () -> ModelZip.read(in, junk.toString(), null));
            assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
        }
    }
}
