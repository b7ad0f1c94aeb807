package io.seresnext.job.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import io.seresnext.job.train.Evaluator;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code evaluate} writes to evaluation.json: the overall figures, one entry per class of the model, the
 * confusion matrix they come from, and which model was scored on which folder. A figure that divides by zero (a
 * class with no images, or never predicted) is null.
 *
 * @param input the folder whose images were scored (the given one's val/ when it has one)
 */
public record EvaluationReport(ModelIdentity model, String input, long images, double loss, double top1,
                               double top5, List<ClassFigures> classes, ConfusionMatrix confusionMatrix) {

    /**
     * The scored model and the provenance it was published with.
     *
     * @param trainingConfig  its job.conf (the training run's resolved configuration)
     * @param trainingMetrics its metrics.json (per epoch), or null when it has none
     */
    public record ModelIdentity(String uri, String modelZipSha256, String preset, int imageSize,
                                String trainingConfig, JsonNode trainingMetrics) {
    }

    /**
     * @param support   images of this class
     * @param predicted images the model assigned to this class
     */
    public record ClassFigures(String name, long support, long predicted, long correct, Double precision,
                               Double recall, Double f1) {
    }

    /** Counts by true class (rows) and predicted class (columns), both in the order of {@code classes}. */
    public record ConfusionMatrix(List<String> classes, long[][] counts) {
    }

    public static EvaluationReport of(PublishedModel model, String input, Evaluator.Result result) {
        List<String> names = model.classes();
        long[][] counts = result.confusion();
        ModelIdentity identity = new ModelIdentity(model.directory(), model.sha256(),
                model.config().model().preset(), model.config().model().imageSize(), model.configText(),
                model.metrics());
        return new EvaluationReport(identity, input, result.images(), result.loss(), result.top1(), result.top5(),
                classFigures(names, counts), new ConfusionMatrix(names, counts));
    }

    /** Precision, recall and F1 of each class from the confusion counts (true class rows, predicted columns). */
    public static List<ClassFigures> classFigures(List<String> names, long[][] counts) {
        List<ClassFigures> classes = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            long support = 0;
            long predicted = 0;
            for (int o = 0; o < names.size(); o++) {
                support += counts[c][o];
                predicted += counts[o][c];
            }
            long correct = counts[c][c];
            classes.add(new ClassFigures(names.get(c), support, predicted, correct, ratio(correct, predicted),
                    ratio(correct, support), ratio(2 * correct, support + predicted)));
        }
        return List.copyOf(classes);
    }

    private static Double ratio(long numerator, long denominator) {
        return denominator == 0 ? null : (double) numerator / denominator;
    }
}
