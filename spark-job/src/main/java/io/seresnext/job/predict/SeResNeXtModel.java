package io.seresnext.job.predict;

import io.seresnext.job.evaluate.PublishedModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.util.ModelSerializer;

/**
 * A published model as a Spark ML {@link Transformer}: {@code transform} adds the {@link PredictionColumns} to a
 * DataFrame that has either an {@code image} column (rows of Spark's own image data source,
 * {@code spark.read().format("image")}) or a {@code path} string column (image files at any Hadoop URI, read on
 * the executors). When both are present the already decoded {@code image} is used. Images are prepared as the model
 * was trained (its job.conf). The weights travel to the executors once, as a broadcast.
 *
 * <p>Not ML-persistable (no {@code MLWritable}): the published model directory already is the saved form; load it
 * again with {@link #load}.
 */
public final class SeResNeXtModel extends Transformer {

    private static final long serialVersionUID = 1L;

    public static final String PATH = "path";
    public static final String IMAGE = "image";

    private final String uid;
    private final String directory;
    private final List<String> classes;
    private final String sha256;
    private final ImageInput images;
    private final Broadcast<byte[]> weights;
    private final IntParam topK;
    private final IntParam batchSize;

    private SeResNeXtModel(String uid, String directory, List<String> classes, String sha256,
                           ImageInput images, Broadcast<byte[]> weights) {
        this.uid = uid;
        this.directory = directory;
        this.classes = List.copyOf(classes);
        this.sha256 = sha256;
        this.images = images;
        this.weights = weights;
        this.topK = new IntParam(this, "topK", "how many classes (most probable first) each row lists",
                ParamValidators.gtEq(1));
        this.batchSize = new IntParam(this, "batchSize", "images per forward pass on an executor",
                ParamValidators.gtEq(1));
        setDefault(topK, 5);
        setDefault(batchSize, 32);
    }

    /** A published model directory (what {@code train} wrote, or its model.zip) at any Hadoop URI. */
    public static SeResNeXtModel load(String uri) throws IOException {
        return load(SparkSession.active(), uri);
    }

    public static SeResNeXtModel load(SparkSession spark, String uri) throws IOException {
        PublishedModel model = PublishedModel.read(uri, spark.sparkContext().hadoopConfiguration());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(model.network(), bytes, false); // scoring needs no updater state
        Broadcast<byte[]> weights = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(bytes.toByteArray());
        return new SeResNeXtModel(Identifiable$.MODULE$.randomUID("seresnext"), model.directory(), model.classes(),
                model.sha256(), ImageInput.of(model.config()), weights);
    }

    public IntParam topK() {
        return topK;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public SeResNeXtModel setTopK(int k) {
        set(topK, k);
        return this;
    }

    public SeResNeXtModel setBatchSize(int b) {
        set(batchSize, b);
        return this;
    }

    public int getTopK() {
        return (Integer) getOrDefault(topK);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    /** The model's class names, in output order. */
    public List<String> classes() {
        return classes;
    }

    public String sha256() {
        return sha256;
    }

    public String directory() {
        return directory;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return transformCounting(dataset, null);
    }

    /** {@link #transform(Dataset)}, counting the rows scored and the unreadable ones in {@code counts} (or null). */
    Dataset<Row> transformCounting(Dataset<?> dataset, ScoringCounts counts) {
        StructType output = transformSchema(dataset.schema());
        boolean imageRows = hasImageColumn(dataset.schema());
        int field = dataset.schema().fieldIndex(imageRows ? IMAGE : PATH);
        SparkSession spark = dataset.sparkSession();
        Scorer scorer = new Scorer(weights, directory, sha256, classes, images,
                new SerializableHadoopConfig(spark.sparkContext().hadoopConfiguration()), getTopK(), getBatchSize(),
                counts);
        JavaRDD<Row> scored = dataset.toDF().javaRDD().mapPartitions(rows -> scorer.score(rows, field, imageRows));
        return spark.createDataFrame(scored, output);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!hasImageColumn(schema)) {
            if (schema.getFieldIndex(PATH).isEmpty()) {
                throw new IllegalArgumentException("input needs a '" + PATH + "' string column or an '" + IMAGE
                        + "' column of Spark's image data source; it has " + List.of(schema.fieldNames()));
            }
            DataType type = schema.apply(PATH).dataType();
            if (!type.equals(DataTypes.StringType)) {
                throw new IllegalArgumentException("column '" + PATH + "' must be a string, it is " + type);
            }
        }
        return PredictionColumns.appendTo(schema);
    }

    /** An {@code image} struct with the image data source's fields. */
    private static boolean hasImageColumn(StructType schema) {
        if (schema.getFieldIndex(IMAGE).isEmpty() || !(schema.apply(IMAGE).dataType() instanceof StructType s)) {
            return false;
        }
        for (String f : new String[] {"height", "width", "nChannels", "mode", "data"}) {
            if (s.getFieldIndex(f).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public SeResNeXtModel copy(ParamMap extra) {
        SeResNeXtModel copy = new SeResNeXtModel(uid, directory, classes, sha256, images, weights);
        return copyValues(copy, extra);
    }
}
