package io.seresnext.job.cli;

import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.registry.RegistryCommand;
import io.seresnext.model.GroupedConvForm;
import java.io.File;
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
                b.cmd("train").action((u, c) -> command(c, "train"))
                        .text("train a model on Spark: image folder in (--input), model out (--output)")
                        .children(seq(jobOptions(b, true))),
                b.cmd("prepare").action((u, c) -> command(c, "prepare"))
                        .text("decode an image folder into the shard cache that `train` reads (train does it too)")
                        .children(seq(jobOptions(b, false))),
                b.cmd("evaluate").action((u, c) -> command(c, "evaluate"))
                        .text("score a published model (--model) on a labelled image folder (--input: its val/, or "
                                + "the whole folder) and write evaluation.json")
                        .children(seq(evaluateOptions(b))),
                b.cmd("predict").action((u, c) -> command(c, "predict"))
                        .text("score every image under a folder (--input, any depth) with a published model "
                                + "(--model) and write Parquet (--output)")
                        .children(seq(predictOptions(b))),
                registryCommand(b),
                b.cmd("bench-data").action((u, c) -> {
                    c.batch = 64;
                    return command(c, "bench-data");
                }).text("time the data path on one core: JPEG decode + resize (prepare), and crop/flip/normalise "
                                + "into minibatches (every epoch)")
                        .children(seq(
                                b.opt("images", INT).valueName("N").action((v, c) -> {
                                    c.images = v;
                                    return c;
                                }).validate(v -> check(v > 0, "--images must be > 0, got " + v))
                                        .text("source images (default 256)"),
                                b.opt("source", STRING).valueName("WxH").action((v, c) -> {
                                    c.source = v;
                                    return c;
                                }).validate(v -> check(v.matches("\\d+x\\d+"), "--source must look like 500x375"))
                                        .text("source JPEG size (default 500x375, ImageNet's typical)"),
                                b.opt("stored-size", INT).valueName("S").action((v, c) -> {
                                    c.storedSize = v;
                                    return c;
                                }).text("stored square side (default 256)"),
                                b.opt("image-size", INT).valueName("S").action((v, c) -> {
                                    c.imageSize = v;
                                    return c;
                                }).text("crop side fed to the network (default 224)"),
                                b.opt("batch", INT).valueName("B").action((v, c) -> {
                                    c.batch = v;
                                    return c;
                                }).validate(v -> check(v > 0, "--batch must be > 0, got " + v))
                                        .text("minibatch (default 64)"),
                                b.opt("passes", INT).valueName("N").action((v, c) -> {
                                    c.passes = v;
                                    return c;
                                }).validate(v -> check(v > 0, "--passes must be > 0, got " + v))
                                        .text("timed passes; the median is reported (default 3)"))),
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
                                        .text("untimed steps first (default 5: DL4J sizes its workspaces over the first few steps)"),
                                b.opt("form", STRING).valueName("grouped|paths").action((v, c) -> {
                                    c.form = v;
                                    return c;
                                }).validate(v -> check(v.equals("grouped") || v.equals("paths"),
                                        "--form must be 'grouped' or 'paths', got '" + v + "'"))
                                        .text("grouped convolution as one layer (default) or as concatenated paths"),
                                b.opt("gc-each-step", FLAG).action((v, c) -> {
                                    c.gcEachStep = true;
                                    return c;
                                }).text("run a full GC after each timed step and report the resident memory it "
                                        + "frees (what ND4J's periodic GC could gain)"),
                                b.opt("forward-only", FLAG).action((v, c) -> {
                                    c.forwardOnly = true;
                                    return c;
                                }).text("time inference (forward pass, no gradients) instead of training steps: "
                                        + "what `predict` is measured against")))));
    }

    /**
     * {@code registry --registry URI list | show VERSION | promote VERSION | rollback}: the sub-command is a
     * positional argument, not a scopt command, because scopt only takes a nested command straight after its parent.
     */
    private static OParser<?, CliOptions> registryCommand(OParserBuilder<CliOptions> b) {
        return b.cmd("registry").action((u, c) -> command(c, "registry"))
                .text("a model registry (see `train --register`): list | show VERSION | promote VERSION | rollback")
                .children(seq(
                        b.opt("registry", STRING).valueName("URI").action((v, c) -> {
                            c.registry = v;
                            return c;
                        }).text("the registry (any Hadoop URI)"),
                        b.arg("ACTION", STRING).action((v, c) -> {
                            c.registryAction = v;
                            return c;
                        }).validate(v -> check(REGISTRY_ACTIONS.contains(v), "registry: unknown action '" + v
                                + "'; one of " + REGISTRY_ACTIONS)).text("list: every version, * marks the current "
                                + "one; show: a version's lineage; promote: make a version current; rollback: make "
                                + "current again the version current before the latest promotion"),
                        b.arg("VERSION", STRING).optional().action((v, c) -> {
                            c.version = v;
                            return c;
                        }).text("for show and promote: v0003, v3 or 3")));
    }

    private static final List<String> REGISTRY_ACTIONS = List.of("list", "show", "promote", "rollback");

    /** The options of the Spark jobs; each sets one configuration key (see defaults.conf). */
    @SuppressWarnings("unchecked")
    private static OParser<?, CliOptions>[] jobOptions(OParserBuilder<CliOptions> b, boolean training) {
        List<OParser<?, CliOptions>> o = new java.util.ArrayList<>();
        o.add(b.opt("config", STRING).valueName("FILE").action((v, c) -> {
            c.configFile = v;
            return c;
        }).text("job preset (HOCON, see conf/); options below override it"));
        o.add(key(b, "input", STRING, "input", "URI", "image folder (ImageNet layout) at any Hadoop URI"));
        o.add(key(b, "master", STRING, "master", "URL", "Spark master when not launched by spark-submit"));
        o.add(b.opt("set", STRING).unbounded().valueName("KEY=VALUE").action((v, c) -> {
            int eq = v.indexOf('=');
            c.overrides.put(v.substring(0, eq).trim(), new JobConfigLoader.HoconText(v.substring(eq + 1)));
            return c;
        }).validate(v -> check(v.indexOf('=') > 0, "--set needs KEY=VALUE, got '" + v + "'")).text("any configuration key, e.g. --set train.learning-rate=0.05 (repeatable)"));
        if (training) {
            o.add(key(b, "output", STRING, "output", "URI", "where the model, checkpoints and metrics go"));
            o.add(key(b, "preset", STRING, "model.preset", "NAME", "model preset (see `models`)"));
            o.add(key(b, "epochs", INT, "train.epochs", "N", "epochs to train"));
            o.add(key(b, "batch-size", INT, "train.batch-size", "N", "minibatch per worker"));
            o.add(key(b, "training-master", STRING, "training-master.type", "NAME",
                    "parameter-averaging or gradient-sharing"));
            o.add(key(b, "init-model", STRING, "init-model", "URI",
                    "start from an earlier model.zip, or a registry's current version"));
            o.add(key(b, "register", STRING, "register", "URI", "register the published model in this registry"));
            o.add(key(b, "promote-if", STRING, "gate.input", "URI", "promote the registered model only if it scores "
                    + "as well as the current one on this labelled folder (gate.tolerance, gate.min-top1)"));
            o.add(flag(b, "overwrite", "replace an existing output"));
            o.add(flag(b, "resume", "continue the run under --output from its last checkpoint"));
            o.add(flag(b, "rerun-safe", "start, resume or skip the run under --output as its state says "
                    + "(for schedulers)"));
        }
        return o.toArray(new OParser[0]);
    }

    @SuppressWarnings("unchecked")
    private static OParser<?, CliOptions>[] evaluateOptions(OParserBuilder<CliOptions> b) {
        List<OParser<?, CliOptions>> o = new java.util.ArrayList<>(Arrays.asList(jobOptions(b, false)));
        o.add(b.opt("model", STRING).required().valueName("URI").action((v, c) -> {
            c.model = v;
            return c;
        }).text("the published model: the folder `train` wrote (or its model.zip)"));
        o.add(key(b, "output", STRING, "output", "URI", "folder for evaluation.json (default: the model's folder)"));
        o.add(flag(b, "overwrite", "replace an existing evaluation.json"));
        return o.toArray(new OParser[0]);
    }

    @SuppressWarnings("unchecked")
    private static OParser<?, CliOptions>[] predictOptions(OParserBuilder<CliOptions> b) {
        List<OParser<?, CliOptions>> o = new java.util.ArrayList<>(Arrays.asList(jobOptions(b, false)));
        o.add(b.opt("model", STRING).required().valueName("URI").action((v, c) -> {
            c.model = v;
            return c;
        }).text("the published model: the folder `train` wrote (or its model.zip)"));
        o.add(key(b, "output", STRING, "output", "URI", "Parquet folder to write (required)"));
        o.add(b.opt("top-k", INT).valueName("K").action((v, c) -> {
            c.topK = v;
            return c;
        }).validate(v -> check(v > 0, "--top-k must be > 0, got " + v))
                .text("classes listed per image, most probable first (default 5; at most the model's classes)"));
        o.add(flag(b, "overwrite", "replace an existing output"));
        return o.toArray(new OParser[0]);
    }

    private static <T> OParser<?, CliOptions> key(OParserBuilder<CliOptions> b, String name, Read<T> read, String key,
                                                  String valueName, String text) {
        return b.opt(name, read).valueName(valueName).action((v, c) -> {
            c.overrides.put(key, v);
            return c;
        }).text(text + " (" + key + ")");
    }

    private static OParser<?, CliOptions> flag(OParserBuilder<CliOptions> b, String name, String text) {
        return b.opt(name, FLAG).action((v, c) -> {
            c.overrides.put(name, true);
            return c;
        }).text(text + " (" + name + ")");
    }

    private static CliOptions command(CliOptions c, String name) {
        c.command = name;
        return c;
    }

    private static Command.Registry registry(CliOptions o) {
        if (o.registry.isBlank()) {
            throw new IllegalArgumentException("registry: --registry URI is required");
        }
        boolean needsVersion = o.registryAction.equals("show") || o.registryAction.equals("promote");
        if (needsVersion == o.version.isEmpty()) {
            throw new IllegalArgumentException("registry: give one of list, show VERSION, promote VERSION, rollback");
        }
        return new Command.Registry(o.registry,
                RegistryCommand.Action.valueOf(o.registryAction.toUpperCase(java.util.Locale.ROOT)), o.version);
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
            case "train":
                return Optional.of(new Command.Train(JobConfigLoader.load(
                        o.configFile == null ? null : new File(o.configFile), o.overrides)));
            case "prepare":
                return Optional.of(new Command.Prepare(JobConfigLoader.load(
                        o.configFile == null ? null : new File(o.configFile), o.overrides, false)));
            case "evaluate":
                JobConfigLoader.requireUri(o.model, "--model");
                return Optional.of(new Command.Evaluate(o.model, JobConfigLoader.load(
                        o.configFile == null ? null : new File(o.configFile), o.overrides, false)));
            case "predict":
                JobConfigLoader.requireUri(o.model, "--model");
                var predict = JobConfigLoader.load(o.configFile == null ? null : new File(o.configFile), o.overrides,
                        false);
                if (predict.output().isBlank()) {
                    throw new InvalidConfigException("output is required (the Parquet folder predict writes)");
                }
                return Optional.of(new Command.Predict(o.model, o.topK, predict));
            case "bench-data":
                String[] wh = o.source.split("x");
                if (o.imageSize > o.storedSize || o.imageSize < 1) {
                    throw new IllegalArgumentException("--image-size must be in [1, --stored-size], got "
                            + o.imageSize);
                }
                if (o.images < o.batch) {
                    throw new IllegalArgumentException("--images must be at least --batch");
                }
                return Optional.of(new Command.BenchData(o.images, Integer.parseInt(wh[0]), Integer.parseInt(wh[1]),
                        o.storedSize, o.imageSize, o.batch, o.passes));
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
                return Optional.of(new Command.BenchModel(spec, o.batch, o.warmup, o.steps, o.gcEachStep,
                        o.forwardOnly));
            case "registry":
                return Optional.of(registry(o));
            default:
                System.err.println("Error: no command given\n" + OParser.usage(parser()));
                return Optional.empty();
        }
    }
}
