package io.seresnext.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * Loading a published directory laid out as the job writes it: checks before anything is deserialized, and the
 * classification itself. That it gives the job's own outputs is spark-job's ServingOutsideSparkTest.
 */
class PublishedClassifierTest {

    private static final List<String> LABELS = List.of("circle", "cross", "ring");
    private static final Preprocessing PREPROCESSING = new Preprocessing(10, 8, List.of(0.5f, 0.4f, 0.3f),
            List.of(0.2f, 0.25f, 0.5f), "labels.txt");

    @TempDir
    Path dir;

    /** A published directory: model.zip, labels.txt, preprocessing.json and _SUCCESS recording their digests. */
    private Path publish(List<String> recorded) throws Exception {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8).withNumClasses(LABELS.size()),
                new NeuralNetConfiguration.Builder().seed(7).updater(new Nesterovs(0.1, 0.9))));
        net.init();
        ModelSerializer.writeModel(net, dir.resolve(PublishedClassifier.MODEL).toFile(), true);
        Files.writeString(dir.resolve("labels.txt"), String.join("\n", LABELS) + "\n");
        Files.writeString(dir.resolve(Preprocessing.FILE), PREPROCESSING.toJson());
        StringBuilder success = new StringBuilder();
        for (String name : recorded) {
            success.append(sha256(dir.resolve(name))).append("  ").append(name).append('\n');
        }
        Files.writeString(dir.resolve(PublishedClassifier.SUCCESS), success);
        return dir;
    }

    private Path publish() throws Exception {
        return publish(List.of(PublishedClassifier.MODEL, "labels.txt", Preprocessing.FILE));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static BufferedImage image() {
        BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillOval(5, 5, 25, 20);
        g.dispose();
        return image;
    }

    @Test
    void classifyGivesTheKMostProbableLabelsInOrderFromTheFullDistribution() throws Exception {
        PublishedClassifier model = PublishedClassifier.load(publish());
        assertEquals(LABELS, model.labels());
        assertEquals(PREPROCESSING, model.preprocessing());
        float[] p = model.probabilities(image());
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-5);
        List<PublishedClassifier.Prediction> top = model.classify(image(), 2);
        assertEquals(2, top.size());
        assertTrue(top.get(0).probability() >= top.get(1).probability(), top.toString());
        for (PublishedClassifier.Prediction prediction : top) {
            assertEquals(p[LABELS.indexOf(prediction.label())], prediction.probability(), 0.0);
        }
    }

    @Test
    void aModelZipWithAnEntryTheProjectNeverWritesIsRefusedByName() throws Exception {
        Path published = publish();
        Path zip = published.resolve(PublishedClassifier.MODEL);
        Path planted = published.resolve("planted.zip");
        try (ZipFile in = new ZipFile(zip.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(planted))) {
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                out.putNextEntry(new ZipEntry(entry.getName()));
                try (InputStream data = in.getInputStream(entry)) {
                    data.transferTo(out);
                }
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            out.write(new byte[] {(byte) 0xac, (byte) 0xed, 0, 5}); // a Java serialization stream's header
        }
        Files.move(planted, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        rewriteSuccess(published); // its digest recorded: the entry alone must get it refused
        IOException e = assertThrows(IOException.class, () -> PublishedClassifier.load(published));
        assertTrue(e.getMessage().contains("'preprocessor.bin'"), e.getMessage());
    }

    private void rewriteSuccess(Path published) throws Exception {
        StringBuilder success = new StringBuilder();
        for (String name : List.of(PublishedClassifier.MODEL, "labels.txt", Preprocessing.FILE)) {
            success.append(sha256(published.resolve(name))).append("  ").append(name).append('\n');
        }
        Files.writeString(published.resolve(PublishedClassifier.SUCCESS), success);
    }

    @Test
    void aFileChangedAfterPublishingIsRefusedAsCorruptNamingIt() throws Exception {
        Path published = publish();
        Files.writeString(published.resolve("labels.txt"), "cross\ncircle\nring\n"); // reordered: wrong names
        IOException e = assertThrows(IOException.class, () -> PublishedClassifier.load(published));
        assertTrue(e.getMessage().contains("labels.txt") && e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void anOutputPublishedWithoutPreprocessingJsonIsRefusedNamingIt() throws Exception {
        Path published = publish(List.of(PublishedClassifier.MODEL, "labels.txt"));
        Files.delete(published.resolve(Preprocessing.FILE));
        IOException e = assertThrows(IOException.class, () -> PublishedClassifier.load(published));
        assertTrue(e.getMessage().contains(Preprocessing.FILE), e.getMessage());
    }

    @Test
    void preprocessingJsonReadsBackAndAnotherLayoutIsRefused() throws Exception {
        assertEquals(PREPROCESSING, Preprocessing.fromJson(PREPROCESSING.toJson(), "p.json"));
        String nhwc = PREPROCESSING.toJson().replace("\"NCHW\"", "\"NHWC\"");
        IOException e = assertThrows(IOException.class, () -> Preprocessing.fromJson(nhwc, "p.json"));
        assertTrue(e.getMessage().contains("layout") && e.getMessage().contains("NHWC"), e.getMessage());
    }

    @Test
    void onlyScheduleSettingsOfClassesAbsentHereAreDroppedForInference() throws Exception {
        String known = new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.9).getClass().getName();
        String json = "{\"layer\":{\"iupdater\":{\"@class\":\"org.nd4j.linalg.learning.config.Nesterovs\","
                + "\"learningRateSchedule\":{\"@class\":\"io.seresnext.job.train.LearningRateSchedule\",\"peak\":1},"
                + "\"momentumSchedule\":{\"@class\":\"" + known + "\"},\"momentum\":0.9}}}";
        String kept = InferenceNetwork.withoutAbsentSchedules(json);
        assertTrue(!kept.contains("learningRateSchedule") && !kept.contains("io.seresnext.job"), kept);
        assertTrue(kept.contains("\"momentumSchedule\":{\"@class\":\"" + known + "\"}")
                && kept.contains("\"momentum\":0.9"), kept);
    }
}
