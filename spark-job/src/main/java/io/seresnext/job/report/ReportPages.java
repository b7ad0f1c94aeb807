package io.seresnext.job.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.evaluate.EvaluationReport;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.TrainingState;
import io.seresnext.job.train.Evaluator;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What the report of each command shows. */
public final class ReportPages {

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ReportPages() {
    }

    /**
     * A training run: its curves, the last validation's confusion matrix (when this run validated), configuration,
     * environment and timings.
     */
    public static HtmlReport training(String output, TrainingState state, Evaluator.Result lastValidation,
                                      RunEnvironment environment) {
        HtmlReport page = new HtmlReport("Training run: " + output)
                .fact("Output", output)
                .fact("Classes", state.classes().size() + "")
                .fact("Epochs", Integer.toString(state.completedEpochs()));
        if (!state.metrics().isEmpty()) {
            EpochMetrics last = state.metrics().get(state.metrics().size() - 1);
            page.fact("Final validation", String.format(Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%, loss %.4f "
                    + "(%d images)", 100 * last.top1(), 100 * last.top5(), last.valLoss(), last.valImages()));
        }
        if (lastValidation != null && lastValidation.confusion().length == state.classes().size()) {
            page.confusion(state.classes(), lastValidation.confusion(),
                    EvaluationReport.classFigures(state.classes(), lastValidation.confusion()));
        }
        return page.epochs(state.metrics()).configuration(state.config()).environment(environment);
    }

    /** An evaluation: its figures and confusion matrix, and the scored model's own training curves. */
    public static HtmlReport evaluation(EvaluationReport report, RunEnvironment environment) {
        EvaluationReport.ModelIdentity model = report.model();
        HtmlReport page = new HtmlReport("Evaluation of " + model.uri())
                .fact("Model", model.uri())
                .fact("model.zip SHA-256", model.modelZipSha256())
                .fact("Preset", model.preset() + ", " + model.imageSize() + " px")
                .fact("Images", report.input())
                .fact("Result", String.format(Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%, loss %.4f (%d images)",
                        100 * report.top1(), 100 * report.top5(), report.loss(), report.images()))
                .confusion(report.confusionMatrix().classes(), report.confusionMatrix().counts(), report.classes())
                .configuration("Configuration of the model's training run", model.trainingConfig())
                .environment(environment);
        return page.epochs(trainingMetrics(model.trainingMetrics()));
    }

    private static List<EpochMetrics> trainingMetrics(JsonNode metrics) {
        if (metrics == null || !metrics.isArray()) {
            return List.of();
        }
        try {
            return Arrays.asList(JSON.treeToValue(metrics, EpochMetrics[].class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return List.of(); // a model published by another version: its curves are left out, not the report
        }
    }
}
