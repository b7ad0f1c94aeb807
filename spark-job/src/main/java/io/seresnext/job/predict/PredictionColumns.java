package io.seresnext.job.predict;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The columns prediction adds to a row, in order. */
public final class PredictionColumns {

    /** The most probable class; null when the image could not be read. */
    public static final String PREDICTION = "prediction";
    /** Its probability (softmax output). */
    public static final String PROBABILITY = "probability";
    /** The top-k class names, most probable first. */
    public static final String TOP_CLASSES = "top_classes";
    /** Their probabilities, in the same order. */
    public static final String TOP_PROBABILITIES = "top_probabilities";
    /** The published model directory that scored the row; for a registry, its version's directory. */
    public static final String MODEL = "model";
    /** SHA-256 of the model.zip that scored the row: which exact weights. */
    public static final String MODEL_SHA256 = "model_sha256";
    /** Why the image could not be scored; null when it was. */
    public static final String ERROR = "error";

    static final int COUNT = 7;

    private PredictionColumns() {
    }

    /** {@code input} with the prediction columns appended. */
    static StructType appendTo(StructType input) {
        for (String name : new String[] {PREDICTION, PROBABILITY, TOP_CLASSES, TOP_PROBABILITIES, MODEL,
                MODEL_SHA256, ERROR}) {
            if (input.getFieldIndex(name).isDefined()) {
                throw new IllegalArgumentException("input already has a column named " + name);
            }
        }
        return input
                .add(PREDICTION, DataTypes.StringType, true)
                .add(PROBABILITY, DataTypes.FloatType, true)
                .add(TOP_CLASSES, DataTypes.createArrayType(DataTypes.StringType, false), true)
                .add(TOP_PROBABILITIES, DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add(MODEL, DataTypes.StringType, false)
                .add(MODEL_SHA256, DataTypes.StringType, false)
                .add(ERROR, DataTypes.StringType, true);
    }
}
