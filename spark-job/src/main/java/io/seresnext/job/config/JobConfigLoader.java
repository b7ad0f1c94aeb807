package io.seresnext.job.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import io.seresnext.job.data.RandomResizedCrop;
import io.seresnext.model.GroupedConvForm;
import io.seresnext.model.ModelSpec;
import io.seresnext.model.Presets;
import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds a {@link JobConfig} from the defaults, an optional job preset file and command-line overrides, in that
 * order of precedence, and checks it: unknown keys, wrong types and impossible values are refused here, before
 * any Spark work, with a message that names the key.
 */
public final class JobConfigLoader {

    static final String DEFAULTS = "io/seresnext/job/defaults.conf";

    private JobConfigLoader() {
    }

    /** The defaults, every key the job knows. */
    public static Config defaults() {
        return ConfigFactory.parseResources(JobConfigLoader.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
    }

    /**
     * @param presetFile a HOCON job preset, or null
     * @param overrides  key to value (a Java value, or a HOCON string for {@code --set key=value})
     */
    public static JobConfig load(File presetFile, Map<String, Object> overrides) {
        return load(presetFile, overrides, true);
    }

    /** @param training whether the job trains (and so needs an output) or only prepares the data */
    public static JobConfig load(File presetFile, Map<String, Object> overrides, boolean training) {
        Config user = ConfigFactory.empty();
        if (presetFile != null) {
            if (!presetFile.isFile()) {
                throw new InvalidConfigException("--config: no such file: " + presetFile);
            }
            user = parse(() -> ConfigFactory.parseFile(presetFile,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)),
                    "--config " + presetFile);
        }
        Config cli = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            String key = e.getKey();
            Config one = e.getValue() instanceof HoconText text
                    ? parse(() -> ConfigFactory.parseString(key + " = " + text.value()), "--set " + key)
                    : ConfigFactory.empty("command line").withValue(key,
                            ConfigValueFactory.fromAnyRef(e.getValue(), "command line"));
            cli = one.withFallback(cli);
        }
        return fromConfig(cli.withFallback(user), training);
    }

    /** A stored resolved configuration (from {@link JobConfig#source()}), as a resumed run reads it. */
    public static JobConfig fromStored(String hocon, String origin) {
        return fromConfig(parse(() -> ConfigFactory.parseString(hocon,
                ConfigParseOptions.defaults().setOriginDescription(origin)), origin), true);
    }

    /** A value given as HOCON text ({@code --set train.step-epochs=[10,20]}) rather than as a typed value. */
    public record HoconText(String value) {
    }

    private static Config parse(Supplier<Config> parser, String where) {
        try {
            return parser.get();
        } catch (ConfigException e) {
            throw new InvalidConfigException(where + ": " + e.getMessage());
        }
    }

    private static JobConfig fromConfig(Config user, boolean training) {
        Config defaults = defaults();
        List<String> unknown = new ArrayList<>();
        user.entrySet().forEach(e -> {
            if (!defaults.hasPathOrNull(e.getKey())) {
                unknown.add(e.getKey() + " (" + e.getValue().origin().description() + ")");
            }
        });
        if (!unknown.isEmpty()) {
            throw new InvalidConfigException("unknown configuration key(s): " + String.join(", ", unknown)
                    + "; the known keys and their defaults are in spark-job/src/main/resources/" + DEFAULTS);
        }
        Config c = user.withFallback(defaults).resolve();
        try {
            return build(c, training);
        } catch (ConfigException e) {
            // wrong types: typesafe's message names the key and where the value came from
            throw new InvalidConfigException(e.getMessage());
        }
    }

    private static JobConfig build(Config c, boolean training) {
        String input = c.getString("input");
        String output = c.getString("output");
        require(!input.isBlank(), "input", "is required (an image folder URI, e.g. hdfs:///data/imagenet)");
        require(!training || !output.isBlank(), "output", "is required (where the model is written, e.g. hdfs:///models/run1)");
        requireUri(input, "input");
        if (!output.isBlank()) {
            requireUri(output, "output");
        }
        boolean overwrite = c.getBoolean("overwrite");
        boolean resume = c.getBoolean("resume");
        boolean rerunSafe = c.getBoolean("rerun-safe");
        require(!(rerunSafe && (resume || overwrite)), "rerun-safe", "decides between a new run and --resume itself, "
                + "and never overwrites: leave out resume and overwrite");
        String initModel = c.getString("init-model");
        require(!(resume && overwrite), "resume", "and overwrite exclude each other");
        require(!(resume && !initModel.isBlank()), "resume", "and init-model exclude each other");
        if (!initModel.isBlank()) {
            requireUri(initModel, "init-model");
        }
        String register = c.getString("register");
        if (!register.isBlank()) {
            requireUri(register, "register");
        }
        JobConfig.Gate gate = gate(c, register);

        String preset = c.getString("model.preset");
        require(Presets.exists(preset), "model.preset", "'" + preset + "' is not a preset; known: " + Presets.names());
        int imageSize = c.getInt("model.image-size");
        GroupedConvForm form = switch (c.getString("model.form")) {
            case "grouped" -> GroupedConvForm.GROUPED_LAYER;
            case "paths" -> GroupedConvForm.CONCAT_PATHS;
            default -> throw new InvalidConfigException("model.form must be 'grouped' or 'paths', got '"
                    + c.getString("model.form") + "'");
        };
        JobConfig.Model model = new JobConfig.Model(preset, imageSize, form, c.getBoolean("model.zero-init-residual-gamma"));
        try {
            ModelSpec ignored = model.spec(2);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("model.image-size " + imageSize + " does not fit preset " + preset
                    + ": " + e.getMessage());
        }

        JobConfig.Data data = data(c, imageSize);
        JobConfig.Train train = train(c);
        JobConfig.Master master = master(c);
        String source = c.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
        return new JobConfig(input, output, c.getString("master"), overwrite, resume, rerunSafe, initModel, register,
                gate,
                model, data, train, master, source);
    }

    private static JobConfig.Gate gate(Config c, String register) {
        String input = c.getString("gate.input");
        double tolerance = c.getDouble("gate.tolerance");
        double minTop1 = c.getDouble("gate.min-top1");
        if (!input.isBlank()) {
            requireUri(input, "gate.input");
            require(!register.isBlank(), "gate.input", "(--promote-if) needs register (--register): it decides which "
                    + "registered version becomes current");
        }
        require(tolerance >= 0 && tolerance <= 1, "gate.tolerance", "must be a top-1 fraction in [0, 1], got "
                + tolerance);
        require(minTop1 >= 0 && minTop1 <= 1, "gate.min-top1", "must be a top-1 fraction in [0, 1], got " + minTop1);
        return new JobConfig.Gate(input, tolerance, minTop1);
    }

    private static JobConfig.Data data(Config c, int imageSize) {
        JobConfig.Layout layout = enumValue(c, "data.layout", JobConfig.Layout.class);
        double valFraction = c.getDouble("data.validation-fraction");
        require(valFraction > 0 && valFraction < 1, "data.validation-fraction", "must be in (0, 1), got " + valFraction);
        int stored = c.getInt("data.stored-size");
        if (stored == 0) {
            stored = imageSize * 8 / 7;
        }
        require(stored >= imageSize, "data.stored-size", "must be >= model.image-size (" + imageSize + "), got "
                + stored);
        int shardImages = c.getInt("data.shard-images");
        require(shardImages >= 1, "data.shard-images", "must be >= 1, got " + shardImages);
        String cache = c.getString("data.cache");
        if (!cache.isBlank()) {
            requireUri(cache, "data.cache");
        }
        double maxBad = c.getDouble("data.max-bad-fraction");
        require(maxBad >= 0 && maxBad < 1, "data.max-bad-fraction", "must be in [0, 1), got " + maxBad);
        List<Float> mean = floats(c, "data.mean");
        List<Float> std = floats(c, "data.std");
        for (float s : std) {
            require(s > 0, "data.std", "values must be > 0");
        }
        int run = c.getInt("data.shuffle-run");
        require(run >= 1, "data.shuffle-run", "must be >= 1, got " + run);
        RandomResizedCrop crop = null;
        if (c.getBoolean("data.random-resized-crop")) {
            List<Double> scale = c.getDoubleList("data.crop-scale");
            List<Double> ratio = c.getDoubleList("data.crop-ratio");
            require(scale.size() == 2 && scale.get(0) > 0 && scale.get(0) <= scale.get(1) && scale.get(1) <= 1,
                    "data.crop-scale", "must be [min, max] with 0 < min <= max <= 1, got " + scale);
            require(ratio.size() == 2 && ratio.get(0) > 0 && ratio.get(0) <= ratio.get(1), "data.crop-ratio",
                    "must be [min, max] with 0 < min <= max, got " + ratio);
            crop = new RandomResizedCrop(scale.get(0), scale.get(1), ratio.get(0), ratio.get(1));
        }
        return new JobConfig.Data(c.getBoolean("data.create-demo"), layout, valFraction, c.getLong("data.split-seed"), stored, shardImages, cache,
                maxBad, mean, std, c.getBoolean("data.horizontal-flip"), run, crop);
    }

    private static JobConfig.Train train(Config c) {
        int epochs = c.getInt("train.epochs");
        require(epochs >= 1, "train.epochs", "must be >= 1, got " + epochs);
        int batch = c.getInt("train.batch-size");
        require(batch >= 1, "train.batch-size", "must be >= 1, got " + batch);
        double lr = c.getDouble("train.learning-rate");
        require(lr > 0, "train.learning-rate", "must be > 0, got " + lr);
        double momentum = c.getDouble("train.momentum");
        require(momentum >= 0 && momentum < 1, "train.momentum", "must be in [0, 1), got " + momentum);
        double wd = c.getDouble("train.weight-decay");
        require(wd >= 0, "train.weight-decay", "must be >= 0, got " + wd);
        double warmup = c.getDouble("train.warmup-epochs");
        require(warmup >= 0 && warmup <= epochs, "train.warmup-epochs", "must be in [0, train.epochs], got " + warmup);
        List<Integer> steps = c.getIntList("train.step-epochs");
        for (int i = 0; i < steps.size(); i++) {
            require(steps.get(i) >= 1 && (i == 0 || steps.get(i) > steps.get(i - 1)), "train.step-epochs",
                    "must be increasing epochs >= 1, got " + steps);
        }
        double stepFactor = c.getDouble("train.step-factor");
        require(stepFactor > 0 && stepFactor <= 1, "train.step-factor", "must be in (0, 1], got " + stepFactor);
        int refBatch = c.getInt("train.reference-batch");
        require(refBatch >= 1, "train.reference-batch", "must be >= 1, got " + refBatch);
        int logEvery = c.getInt("train.log-every");
        require(logEvery >= 1, "train.log-every", "must be >= 1, got " + logEvery);
        int keep = c.getInt("train.keep-checkpoints");
        require(keep >= 1, "train.keep-checkpoints", "must be >= 1, got " + keep);
        int evalBatch = c.getInt("train.eval-batch-size");
        require(evalBatch >= 1, "train.eval-batch-size", "must be >= 1, got " + evalBatch);
        return new JobConfig.Train(epochs, batch, enumValue(c, "train.optimizer", JobConfig.Optimizer.class), lr,
                momentum, wd, warmup, enumValue(c, "train.schedule", JobConfig.Schedule.class), List.copyOf(steps),
                stepFactor, c.getBoolean("train.scale-learning-rate"), refBatch, c.getLong("train.seed"), logEvery,
                keep, evalBatch);
    }

    private static JobConfig.Master master(Config c) {
        int workers = c.getInt("training-master.workers");
        require(workers >= 0, "training-master.workers", "must be >= 0 (0 = Spark's parallelism), got " + workers);
        String pa = "training-master.parameter-averaging.";
        int freq = c.getInt(pa + "averaging-frequency");
        require(freq >= 1, pa + "averaging-frequency", "must be >= 1, got " + freq);
        int prefetch = c.getInt(pa + "prefetch");
        require(prefetch >= 0, pa + "prefetch", "must be >= 0, got " + prefetch);
        int depth = c.getInt(pa + "aggregation-depth");
        require(depth >= 1, pa + "aggregation-depth", "must be >= 1, got " + depth);
        String gs = "training-master.gradient-sharing.";
        double threshold = c.getDouble(gs + "threshold");
        require(threshold > 0, gs + "threshold", "must be > 0, got " + threshold);
        double sparsity = c.getDouble(gs + "target-sparsity");
        require(sparsity > 0 && sparsity <= 1, gs + "target-sparsity", "must be in (0, 1], got " + sparsity);
        double minSparsity = c.getDouble(gs + "min-sparsity");
        double maxSparsity = c.getDouble(gs + "max-sparsity");
        require(minSparsity > 0 && minSparsity <= maxSparsity && maxSparsity <= 1, gs + "min-sparsity",
                "and max-sparsity must satisfy 0 < min <= max <= 1, got " + minSparsity + " and " + maxSparsity);
        double halving = c.getDouble(gs + "threshold-halving-iterations");
        require(halving >= 1, gs + "threshold-halving-iterations", "must be >= 1 iterations, got " + halving);
        int perExecutor = c.getInt(gs + "workers-per-executor");
        require(perExecutor >= 0, gs + "workers-per-executor", "must be >= 0 (0: one per GPU), got " + perExecutor);
        int gsPrefetch = c.getInt(gs + "prefetch");
        require(gsPrefetch >= 0, gs + "prefetch", "must be >= 0, got " + gsPrefetch);
        String networkMask = c.getString(gs + "network-mask");
        require(networkMask.isEmpty() || networkMask.matches("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}"),
                gs + "network-mask", "must be an IPv4 subnet such as 10.1.0.0/16, got '" + networkMask + "'");
        int port = c.getInt(gs + "port");
        require(port > 0 && port < 65536, gs + "port", "must be a UDP port, got " + port);
        int recalibration = c.getInt(gs + "batch-norm-recalibration");
        require(recalibration >= 0, gs + "batch-norm-recalibration", "must be >= 0 batches, got " + recalibration);
        double clipping = c.getDouble(gs + "residual-clipping");
        require(clipping >= 0, gs + "residual-clipping", "must be >= 0 thresholds (0: off), got " + clipping);
        int clippingEvery = c.getInt(gs + "residual-clipping-every");
        require(clippingEvery >= 1, gs + "residual-clipping-every", "must be >= 1 iterations, got " + clippingEvery);
        double secondMessage = c.getDouble(gs + "second-message");
        require(secondMessage >= 0, gs + "second-message",
                "must be >= 0 (a multiple of the step's threshold; 0: off), got " + secondMessage);
        return new JobConfig.Master(enumValue(c, "training-master.type", JobConfig.MasterType.class), workers,
                new JobConfig.ParameterAveraging(freq, prefetch, depth, c.getBoolean(pa + "keep-updater-state")),
                new JobConfig.GradientSharing(enumValue(c, gs + "threshold-algorithm",
                        JobConfig.ThresholdAlgorithm.class), threshold, sparsity, minSparsity, maxSparsity,
                        halving, perExecutor, gsPrefetch,
                        c.getString(gs + "controller-address"), networkMask, port,
                        recalibration, clipping, clippingEvery, secondMessage, c.getBoolean(gs + "keep-residual"),
                        c.getBoolean(gs + "replica-resync"), c.getBoolean(gs + "average-updates"), c.getBoolean(gs + "diagnostics")));
    }

    private static List<Float> floats(Config c, String key) {
        List<Double> values = c.getDoubleList(key);
        require(values.size() == 3, key, "needs 3 values (R, G, B), got " + values);
        return values.stream().map(Double::floatValue).toList();
    }

    /** "parameter-averaging" -> PARAMETER_AVERAGING, or an error listing the spellings. */
    private static <E extends Enum<E>> E enumValue(Config c, String key, Class<E> type) {
        String raw = c.getString(key);
        Map<String, E> allowed = new LinkedHashMap<>();
        for (E e : type.getEnumConstants()) {
            allowed.put(e.name().toLowerCase(Locale.ROOT).replace('_', '-'), e);
        }
        E value = allowed.get(raw.toLowerCase(Locale.ROOT));
        if (value == null) {
            throw new InvalidConfigException(key + " must be one of " + allowed.keySet() + ", got '" + raw + "'");
        }
        return value;
    }

    /** @throws InvalidConfigException naming {@code key} when {@code value} is not a URI or path */
    public static void requireUri(String value, String key) {
        try {
            new URI(value);
        } catch (URISyntaxException e) {
            throw new InvalidConfigException(key + " is not a valid URI or path: '" + value + "' (" + e.getReason()
                    + ")");
        }
    }

    private static void require(boolean ok, String key, String problem) {
        if (!ok) {
            throw new InvalidConfigException(key + " " + problem);
        }
    }
}
