package io.seresnext.model.serving;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;
import javax.imageio.ImageIO;

/**
 * The README's "Serving a model outside Spark" lines as an application: {@code ServingExample MODEL_DIR IMAGE...}
 * prints, per image, its path, the top class and every class's probability in label order (tab-separated).
 * spark-job's ServingOutsideSparkTest runs it on a class path of this module and DL4J alone.
 */
public final class ServingExample {

    private ServingExample() {
    }

    public static void main(String[] args) throws Exception {
        PublishedClassifier model = PublishedClassifier.load(Path.of(args[0]));
        for (int i = 1; i < args.length; i++) {
            BufferedImage image = ImageIO.read(new File(args[i]));
            List<PublishedClassifier.Prediction> top = model.classify(image, 1);
            StringJoiner probabilities = new StringJoiner(",");
            for (float p : model.probabilities(image)) {
                probabilities.add(Float.toString(p));
            }
            System.out.println(args[i] + "\t" + top.get(0).label() + "\t" + probabilities);
        }
    }
}
