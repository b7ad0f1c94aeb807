package io.seresnext.job.cli;

import io.seresnext.model.GroupedConvForm;
import io.seresnext.model.ModelSpec;
import io.seresnext.model.Presets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.util.Either;
import scala.util.Left;
import scala.util.Right;
import scala.runtime.BoxedUnit;
import scopt.OParser;
import scopt.OParserBuilder;
import scopt.Read;
import scopt.Read$;

/** The job's whole command line, parsed with scopt: one sub-command per thing the jar does. */
public final class CommandLine {

    public static final String PROGRAM = "seresnext";

    private static final Read<String> STRING = Read$.MODULE$.stringRead();
    @SuppressWarnings("unchecked")
    private static final Read<Integer> INT = (Read<Integer>) (Read<?>) Read$.MODULE$.intRead();
    private static final Read<BoxedUnit> FLAG = Read$.MODULE$.unitRead();

    private CommandLine() {
    }

    @SafeVarargs
    private static <T> Seq<T> seq(T... items) {
        return JavaConverters.asScalaBufferConverter(Arrays.asList(items)).asScala().toSeq();
    }

    private static Either<String, BoxedUnit> check(boolean ok, String message) {
        return ok ? new Right<>(BoxedUnit.UNIT) : new Left<>(message);
    }

    private static OParser<?, CliOptions> parser() {
        OParserBuilder<CliOptions> b = OParser.builder();
        return OParser.sequence(b.programName(PROGRAM), seq(
                b.head(seq(PROGRAM, "- distributed SE-ResNeXt training on Spark")),
                b.help("help").text("print this usage text"),
                b.cmd("models").action((u, c) -> command(c, "models"))
                        .text("list the model presets: name, parameters, input shape, classes")
                        .children(seq(
                                b.opt("json", FLAG).action((u, c) -> {
                                    c.json = true;
                                    return c;
                                }).text("print a JSON array instead of a table"))),
                b.cmd("bench-model").action((u, c) -> command(c, "bench-model"))
                        .text("time training steps of one model in this JVM (no Spark): median images/sec, peak RSS")
                        .children(seq(
                                b.opt("preset", STRING).required().valueName("NAME").action((v, c) -> {
                                    c.preset = v;
                                    return c;
                                }).validate(v -> check(Presets.exists(v), "--preset: unknown preset '" + v
                                        + "'; known: " + Presets.names())).text("model preset (see `models`)"),
                                b.opt("batch", INT).valueName("B").action((v, c) -> {
                                    c.batch = v;
                                    return c;
                                }).validate(v -> check(v > 0, "--batch must be > 0, got " + v))
                                        .text("minibatch size (default 16)"),
                                b.opt("input", STRING).valueName("CxHxW").action((v, c) -> {
                                    c.input = v;
                                    return c;
                                }).validate(v -> check(parseShape(v).isPresent(),
                                        "--input must look like 3x224x224, got '" + v + "'"))
                                        .text("input shape (default: the preset's)"),
                                b.opt("steps", INT).valueName("N").action((v, c) -> {
                                    c.steps = v;
                                    return c;
                                }).validate(v -> check(v > 0, "--steps must be > 0, got " + v))
                                        .text("timed steps (default 10)"),
                                b.opt("warmup", INT).valueName("N").action((v, c) -> {
                                    c.warmup = v;
                                    return c;
                                }).validate(v -> check(v >= 0, "--warmup must be >= 0, got " + v))
                                        .text("untimed steps first (default 3)"),
                                b.opt("form", STRING).valueName("grouped|paths").action((v, c) -> {
                                    c.form = v;
                                    return c;
                                }).validate(v -> check(v.equals("grouped") || v.equals("paths"),
                                        "--form must be 'grouped' or 'paths', got '" + v + "'"))
                                        .text("grouped convolution as one layer (default) or as concatenated paths")))));
    }

    private static CliOptions command(CliOptions c, String name) {
        c.command = name;
        return c;
    }

    /** "3x224x224" -> {3, 224, 224}. */
    static Optional<int[]> parseShape(String s) {
        String[] parts = s.toLowerCase().split("x");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            int[] shape = Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
            return Arrays.stream(shape).allMatch(v -> v > 0) ? Optional.of(shape) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The command, or empty when scopt has already printed why not (or the usage text).
     *
     * @throws IllegalArgumentException when the options parse but do not make a valid model
     */
    public static Optional<Command> parse(List<String> args) {
        scala.Option<CliOptions> parsed = OParser.parse(parser(), seq(args.toArray(new String[0])), new CliOptions());
        if (parsed.isEmpty()) {
            return Optional.empty();
        }
        CliOptions o = parsed.get();
        switch (o.command) {
            case "models":
                return Optional.of(new Command.ListModels(o.json));
            case "bench-model":
                ModelSpec spec = Presets.get(o.preset);
                if (o.input != null) {
                    int[] s = parseShape(o.input).orElseThrow();
                    spec = spec.withInput(s[0], s[1], s[2]);
                }
                spec = spec.withGroupedConvForm(o.form.equals("paths")
                        ? GroupedConvForm.CONCAT_PATHS : GroupedConvForm.GROUPED_LAYER);
                return Optional.of(new Command.BenchModel(spec, o.batch, o.warmup, o.steps));
            default:
                System.err.println("Error: no command given\n" + OParser.usage(parser()));
                return Optional.empty();
        }
    }
}
