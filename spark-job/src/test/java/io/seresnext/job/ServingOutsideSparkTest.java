package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.config.JobConfig;
import io.seresnext.job.config.JobConfigLoader;
import io.seresnext.job.data.BatchPlan;
import io.seresnext.job.data.DemoDataset;
import io.seresnext.job.data.ImageDecoder;
import io.seresnext.job.data.ImageFolderIndex;
import io.seresnext.job.data.ShardBatchLoader;
import io.seresnext.job.data.ShardFormat;
import io.seresnext.job.output.ModelStore;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.testing.TestSpark;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model that {@code train} published, served by a plain Java application in its own JVM whose class path is
 * model-defs and its runtime dependencies (DL4J, ND4J) alone: the README's lines (model-defs' ServingExample) give
 * the job's own probabilities for the validation images.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServingOutsideSparkTest {

    private static final List<String> CLASSES = DemoDataset.CLASSES.subList(0, 3);
    private static final int VAL_PER_CLASS = 6;
    /** What the build puts in model-defs/target (its pom's dependency plugin and the compiler). */
    private static final Path MODEL_DEFS = Path.of("").toAbsolutePath().getParent().resolve("model-defs/target");

    @TempDir
    static Path dir;
    private Path data;
    private Path model;
    private List<Path> images;
    private List<String> labels;
    private List<String> classPath;

    @BeforeAll
    void trainAndPublish() throws Exception {
        data = dir.resolve("data");
        model = dir.resolve("model");
        DemoDataset.write(data.toUri().toString(), new Configuration(), CLASSES.size(), 16, VAL_PER_CLASS, 1);
        Map<String, Object> o = TestJobs.small(data.toUri().toString(), model.toUri().toString());
        o.put("train.epochs", 1);
        SparkSession spark = TestSpark.start();
        try {
            TrainJob.run(spark, TestJobs.config(o));
        } finally {
            spark.stop();
        }
        try (Stream<Path> files = Files.walk(data.resolve(ImageFolderIndex.VAL))) {
            images = files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        labels = Files.readAllLines(model.resolve(ModelStore.LABELS));
        classPath = servingClassPath();
    }

    /** model-defs' classes (the example's with them) and its runtime dependencies, as its build wrote them. */
    private static List<String> servingClassPath() throws IOException {
        Path dependencies = MODEL_DEFS.resolve("runtime-classpath.txt");
        if (!Files.exists(dependencies)) {
            fail(dependencies + " is missing: build model-defs first (mvn -pl model-defs,spark-job -am test ...)");
        }
        List<String> entries = new ArrayList<>();
        entries.add(MODEL_DEFS.resolve("classes").toString());
        entries.add(MODEL_DEFS.resolve("test-classes").toString());
        entries.addAll(Arrays.asList(Files.readString(dependencies).strip().split(File.pathSeparator)));
        return entries;
    }

    /** Runs {@code mainClass} in a JVM started with nothing but the serving class path; returns its stdout. */
    private String runServingJvm(String mainClass, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-cp", String.join(File.pathSeparator, classPath), mainClass));
        command.addAll(args);
        Path stdout = dir.resolve(mainClass + ".stdout");
        Path stderr = dir.resolve(mainClass + ".stderr");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(mainClass + " did not finish; stderr: " + Files.readString(stderr));
        }
        assertEquals(0, process.exitValue(), mainClass + " failed; stderr: " + Files.readString(stderr));
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    @Test
    void theServingClassPathHoldsDl4jAndModelDefsButNoSparkHadoopOrJobClasses() throws Exception {
        for (String entry : classPath) {
            String name = Path.of(entry).getFileName().toString();
            assertTrue(!name.contains("spark") && !name.contains("hadoop") && !entry.contains("spark-job"), entry);
        }
        List<String> probed = List.of("org.apache.spark.SparkContext", "org.apache.hadoop.fs.FileSystem",
                "io.seresnext.job.Main", "com.typesafe.config.Config", "scala.Option",
                "org.deeplearning4j.nn.graph.ComputationGraph", "io.seresnext.model.serving.PublishedClassifier");
        String out = runServingJvm("io.seresnext.model.serving.ClassPathProbe", probed);
        assertEquals(List.of("absent org.apache.spark.SparkContext", "absent org.apache.hadoop.fs.FileSystem",
                "absent io.seresnext.job.Main", "absent com.typesafe.config.Config", "absent scala.Option",
                "present org.deeplearning4j.nn.graph.ComputationGraph",
                "present io.seresnext.model.serving.PublishedClassifier"), out.strip().lines().toList());
    }

    @Test
    void theServedProbabilitiesAndTopClassesAreTheNetworksThroughTheJobsOwnPreprocessing() throws Exception {
        List<String> args = new ArrayList<>(List.of(model.toString()));
        images.forEach(p -> args.add(p.toString()));
        List<String> lines = runServingJvm("io.seresnext.model.serving.ServingExample", args).strip().lines()
                .toList();
        assertEquals(CLASSES.size() * VAL_PER_CLASS, lines.size(), "one line per validation image");

        float[][] expected = jobProbabilities();
        int correct = 0;
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = lines.get(i).split("\t");
            assertEquals(images.get(i).toString(), fields[0]);
            float[] served = floats(fields[2]);
            assertEquals(labels.size(), served.length, lines.get(i));
            int best = 0;
            for (int c = 0; c < served.length; c++) {
                assertEquals(expected[i][c], served[c], 1e-5f, images.get(i) + " class " + c);
                best = expected[i][c] > expected[i][best] ? c : best;
            }
            assertEquals(labels.get(best), fields[1], images.get(i) + ": the served top class");
            correct += fields[1].equals(images.get(i).getParent().getFileName().toString()) ? 1 : 0;
        }
        JsonNode metrics = new ObjectMapper().readTree(model.resolve(ModelStore.METRICS).toFile());
        double finalTop1 = metrics.get(metrics.size() - 1).get("top1").asDouble();
        assertEquals(finalTop1, (double) correct / lines.size(), 1e-12, "training's own final validation top-1");
    }

    /**
     * The published network's output on the validation images prepared by the job: decoded into a shard as the
     * shard cache does, loaded as an evaluation batch, normalised with the training run's stored configuration.
     */
    private float[][] jobProbabilities() throws Exception {
        JobConfig trained = JobConfigLoader.fromStored(Files.readString(model.resolve(ModelStore.CONFIG)),
                ModelStore.CONFIG);
        int stored = trained.data().storedSize();
        Path shards = Files.createDirectories(dir.resolve("job-shards"));
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(shards.resolve("val-0.shard")))) {
            ShardFormat.writeHeader(out, stored);
            for (Path image : images) {
                ShardFormat.writeRecord(out, labels.indexOf(image.getParent().getFileName().toString()),
                        ImageDecoder.decodeSquare(Files.readAllBytes(image), stored));
            }
        }
        ShardBatchLoader loader = new ShardBatchLoader(new Configuration(), trained.model().imageSize(),
                labels.size(), trained.data().meanArray(), trained.data().stdArray(), false, 0);
        String batch = BatchPlan.descriptorFor(shards.toUri().toString().replaceAll("/$", ""),
                ImageFolderIndex.VAL, -1, List.of(new BatchPlan.Run("val-0.shard", 0, images.size())));
        ComputationGraph network = ModelStore.readModel(model.resolve(ModelStore.MODEL).toUri().toString(),
                new Configuration());
        INDArray output = network.output(false, loader.load(batch).getFeatures())[0];
        float[][] out = new float[images.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = output.getRow(i).toFloatVector();
        }
        return out;
    }

    private static float[] floats(String commaSeparated) {
        String[] parts = commaSeparated.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i]);
        }
        return out;
    }
}
