package io.seresnext.job.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seresnext.job.evaluate.EvaluationReport.ClassFigures;
import io.seresnext.job.output.EpochMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * report.html: one self-contained page (ECharts and all data inline, nothing fetched) showing a run. Each chart is
 * a {@code <div class="chart" id="chart-NAME">} drawn from the JSON in {@code <script type="application/json"
 * id="chart-NAME-data">}; the per-epoch table repeats the figures for readers without JavaScript. Everything from
 * the run (class names, configuration, URIs) is escaped.
 */
public final class HtmlReport {

    public static final String FILE = "report.html";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line series: its key is the metrics.json field it plots. */
    private record Series(String key, String name, ToDoubleFunction<EpochMetrics> value) {
    }

    private final String title;
    private final Map<String, String> summary = new LinkedHashMap<>();
    private List<EpochMetrics> epochs = List.of();
    private List<String> classes = List.of();
    private long[][] confusion;
    private List<ClassFigures> classFigures = List.of();
    private String configuration;
    private String configurationHeading = "Configuration";
    private RunEnvironment environment;

    public HtmlReport(String title) {
        this.title = title;
    }

    /** A line of the summary at the top. */
    public HtmlReport fact(String label, String value) {
        summary.put(label, value);
        return this;
    }

    public HtmlReport epochs(List<EpochMetrics> metrics) {
        this.epochs = List.copyOf(metrics);
        return this;
    }

    /** Counts by true class (rows) and predicted class (columns), with the figures per class they give. */
    public HtmlReport confusion(List<String> names, long[][] counts, List<ClassFigures> figures) {
        this.classes = List.copyOf(names);
        this.confusion = counts;
        this.classFigures = List.copyOf(figures);
        return this;
    }

    public HtmlReport configuration(String text) {
        this.configuration = text;
        return this;
    }

    /** A configuration that is not this run's own, under a heading that says whose. */
    public HtmlReport configuration(String heading, String text) {
        this.configurationHeading = heading;
        return configuration(text);
    }

    public HtmlReport environment(RunEnvironment env) {
        this.environment = env;
        return this;
    }

    public String render() {
        StringBuilder h = new StringBuilder(1 << 20);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>").append(STYLE).append("</style>\n");
        h.append("<script>").append(ECharts.script()).append("</script>\n</head><body>\n");
        h.append("<h1>").append(escape(title)).append("</h1>\n");
        table(h, "summary", summary);
        if (!epochs.isEmpty()) {
            h.append("<h2>Training curves</h2>\n<div class=\"grid\">\n");
            lineChart(h, "loss", "Loss", "cross-entropy", false, List.of(
                    new Series("trainLoss", "training loss", EpochMetrics::trainLoss),
                    new Series("valLoss", "validation loss", EpochMetrics::valLoss)));
            lineChart(h, "accuracy", "Validation accuracy", "", true, List.of(
                    new Series("top1", "top-1", EpochMetrics::top1),
                    new Series("top5", "top-5", EpochMetrics::top5)));
            lineChart(h, "learning-rate", "Learning rate", "", false, List.of(
                    new Series("learningRate", "learning rate", EpochMetrics::learningRate)));
            lineChart(h, "throughput", "Training throughput", "images/s", false, List.of(
                    new Series("imagesPerSecond", "images/s", EpochMetrics::imagesPerSecond)));
            h.append("</div>\n");
            epochTable(h);
        }
        if (confusion != null && confusion.length > 0) {
            h.append("<h2>Confusion matrix</h2>\n");
            heatmap(h);
            classTable(h);
        }
        if (environment != null) {
            h.append("<h2>Environment</h2>\n");
            table(h, "environment", environment.environmentRows());
            h.append("<h2>Timings</h2>\n");
            table(h, "timings", environment.timingRows());
        }
        if (configuration != null) {
            h.append("<h2>").append(escape(configurationHeading)).append("</h2>\n<pre id=\"configuration\">")
                    .append(escape(configuration))
                    .append("</pre>\n");
        }
        h.append("<p class=\"footer\">Charts drawn by Apache ECharts ").append(ECharts.VERSION)
                .append(", inlined.</p>\n<script>").append(DRAW).append("</script>\n</body></html>\n");
        return h.toString();
    }

    private void lineChart(StringBuilder h, String name, String chartTitle, String axis, boolean percent,
                           List<Series> series) {
        ObjectNode data = JSON.createObjectNode();
        data.put("title", chartTitle).put("axis", axis).put("percent", percent);
        ArrayNode x = data.putArray("epochs");
        epochs.forEach(e -> x.add(e.epoch()));
        ArrayNode all = data.putArray("series");
        for (Series s : series) {
            ObjectNode node = all.addObject().put("key", s.key()).put("name", s.name());
            ArrayNode values = node.putArray("values");
            epochs.forEach(e -> addNumber(values, s.value().applyAsDouble(e)));
        }
        chart(h, name, "line", data);
    }

    private void heatmap(StringBuilder h) {
        ObjectNode data = JSON.createObjectNode();
        data.put("title", "True class (rows) by predicted class (columns)");
        ArrayNode names = data.putArray("classes");
        classes.forEach(names::add);
        ArrayNode rows = data.putArray("counts");
        for (long[] row : confusion) {
            ArrayNode r = rows.addArray();
            for (long c : row) {
                r.add(c);
            }
        }
        chart(h, "confusion", "heatmap", data);
    }

    private static void chart(StringBuilder h, String name, String kind, JsonNode data) {
        h.append("<div class=\"chart ").append(kind).append("\" id=\"chart-").append(name)
                .append("\" data-kind=\"").append(kind)
                .append("\"></div>\n<script type=\"application/json\" id=\"chart-")
                .append(name).append("-data\">").append(embeddedJson(data)).append("</script>\n");
    }

    /** JSON that cannot end its script element: no '<' survives (JSON has it only inside strings). */
    static String embeddedJson(JsonNode data) {
        try {
            return JSON.writeValueAsString(data).replace("<", "\\u003c");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Non-finite figures (an epoch without a training loss) become gaps: JSON has no NaN. */
    private static void addNumber(ArrayNode values, double v) {
        if (Double.isFinite(v)) {
            values.add(v);
        } else {
            values.addNull();
        }
    }

    private void epochTable(StringBuilder h) {
        h.append("<table id=\"epochs\"><thead><tr><th>Epoch</th><th>Training loss</th><th>Validation loss</th>"
                + "<th>Top-1</th><th>Top-5</th><th>Learning rate</th><th>Images/s</th><th>Fit (s)</th>"
                + "<th>Epoch (s)</th></tr></thead><tbody>\n");
        for (EpochMetrics e : epochs) {
            h.append("<tr><td>").append(e.epoch()).append("</td><td>").append(number("%.4f", e.trainLoss()))
                    .append("</td><td>").append(number("%.4f", e.valLoss())).append("</td><td>")
                    .append(percent(e.top1())).append("</td><td>").append(percent(e.top5())).append("</td><td>")
                    .append(number("%.6g", e.learningRate())).append("</td><td>")
                    .append(number("%.1f", e.imagesPerSecond())).append("</td><td>")
                    .append(number("%.1f", e.trainSeconds())).append("</td><td>")
                    .append(number("%.1f", e.epochSeconds())).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    private void classTable(StringBuilder h) {
        h.append("<table id=\"classes\"><thead><tr><th>Class</th><th>Images</th><th>Predicted</th><th>Correct</th>"
                + "<th>Precision</th><th>Recall</th><th>F1</th></tr></thead><tbody>\n");
        for (ClassFigures c : classFigures) {
            h.append("<tr><td>").append(escape(c.name())).append("</td><td>").append(c.support())
                    .append("</td><td>").append(c.predicted()).append("</td><td>").append(c.correct())
                    .append("</td><td>").append(ratio(c.precision())).append("</td><td>").append(ratio(c.recall()))
                    .append("</td><td>").append(ratio(c.f1())).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
    }

    private static void table(StringBuilder h, String id, Map<String, String> rows) {
        h.append("<table class=\"facts\" id=\"").append(id).append("\">\n");
        rows.forEach((k, v) -> h.append("<tr><th>").append(escape(k)).append("</th><td>").append(escape(v))
                .append("</td></tr>\n"));
        h.append("</table>\n");
    }

    private static String ratio(Double v) {
        return v == null ? "&ndash;" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String percent(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f%%", 100 * v) : "&ndash;";
    }

    private static String number(String format, double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "&ndash;";
    }

    /** Text for element content and quoted attributes. */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;
                 max-width:1150px}
            h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;font-size:13px;margin:6px 0}
            th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
            table.facts th,table.facts td,#classes td:first-child{text-align:left}
            table.facts th{background:#f5f5f5;font-weight:600}thead th{background:#f5f5f5}
            .grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
            .chart.line{height:300px;border:1px solid #eee}
            .chart.heatmap{height:560px;max-width:760px;border:1px solid #eee}
            pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto;max-height:480px}
            .footer{color:#888;font-size:12px;margin-top:24px}
            """;

    /** Builds each chart's ECharts option from its data block; no animation, so a printout or screenshot is whole. */
    private static final String DRAW = """
            (function () {
              function line(d) {
                var axisLabel = d.percent ? {formatter: function (v) { return Math.round(v * 1000) / 10 + '%'; }} : {};
                return {animation: false, title: {text: d.title, left: 'center', textStyle: {fontSize: 14}},
                  tooltip: {trigger: 'axis'}, legend: {top: 26},
                  grid: {top: 64, left: 64, right: 24, bottom: 44},
                  xAxis: {type: 'category', name: 'epoch', nameLocation: 'middle', nameGap: 26, data: d.epochs},
                  yAxis: {type: 'value', name: d.axis, scale: true, axisLabel: axisLabel},
                  series: d.series.map(function (s) {
                    return {name: s.name, type: 'line', data: s.values, symbolSize: 6};
                  })};
              }
              function heatmap(d) {
                var cells = [], max = 0, n = d.classes.length;
                d.counts.forEach(function (row, t) {
                  row.forEach(function (c, p) { cells.push([p, t, c]); if (c > max) { max = c; } });
                });
                return {animation: false, title: {text: d.title, left: 'center', textStyle: {fontSize: 14}},
                  tooltip: {formatter: function (p) {
                    return 'true ' + d.classes[p.value[1]] + ', predicted ' + d.classes[p.value[0]] + ': ' + p.value[2];
                  }},
                  grid: {top: 40, left: 120, right: 90, bottom: 90},
                  xAxis: {type: 'category', data: d.classes, name: 'predicted', nameLocation: 'middle', nameGap: 60,
                    axisLabel: {rotate: 45, interval: n > 40 ? 'auto' : 0}},
                  yAxis: {type: 'category', data: d.classes, inverse: true, name: 'true', nameLocation: 'middle',
                    nameGap: 100, axisLabel: {interval: n > 40 ? 'auto' : 0}},
                  visualMap: {min: 0, max: Math.max(max, 1), calculable: true, orient: 'vertical', right: 10,
                    top: 'middle', inRange: {color: ['#f7fbff', '#6baed6', '#08306b']}},
                  series: [{type: 'heatmap', data: cells, label: {show: n <= 20}}]};
              }
              document.querySelectorAll('div.chart').forEach(function (el) {
                var d = JSON.parse(document.getElementById(el.id + '-data').textContent);
                echarts.init(el).setOption(el.dataset.kind === 'heatmap' ? heatmap(d) : line(d));
              });
            })();
            """;
}
