package io.seresnext.model.layers;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's batch normalisation with its forward and backward passes on {@link NativeBatchNormHelper}, optionally
 * followed by a ReLU in the same layer ({@code activation(RELU)}; DL4J's own layer ignores its activation).
 * Parameters, their initialisation and the JSON form are the stock {@link BatchNormalization}'s.
 *
 * <p>Works around DL4J 1.0.0-M2.1 giving batch norm no fast path on CPU: its factory never enables its own oneDNN
 * helper (disabled unless a system property allows it, and its availability check reflects on a class ND4J no
 * longer has), and that helper's backward pass is slow (see NativeBatchNormHelper). The layer keeps its helper in a
 * package-private field that only its own factory sets; this configuration sets it when the layer is built, so it
 * also applies inside DL4J's Spark workers, which build their networks from the broadcast configuration. Tested in
 * NativeBatchNormalizationTest.
 */
public class NativeBatchNormalization extends BatchNormalization {

    private static final Field HELPER;

    static {
        try {
            HELPER = org.deeplearning4j.nn.layers.normalization.BatchNormalization.class.getDeclaredField("helper");
            HELPER.setAccessible(true);
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** For Jackson. */
    public NativeBatchNormalization() {
    }

    /** The stock configuration {@code stock} (its activation: identity, or ReLU fused into the layer). */
    public static NativeBatchNormalization of(BatchNormalization stock) {
        NativeBatchNormalization layer = new NativeBatchNormalization();
        // the stock builder's constructor is private: copy every setting the configuration holds
        for (Class<?> c = BatchNormalization.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    try {
                        f.setAccessible(true);
                        f.set(layer, f.get(stock));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return layer;
    }

    /** Whether a ReLU follows the normalisation in this layer. */
    public boolean appliesRelu() {
        if (getActivationFn() == null || getActivationFn() instanceof ActivationIdentity) {
            return false;
        }
        if (getActivationFn() instanceof ActivationReLU relu && relu.getMax() == null
                && zeroOrUnset(relu.getThreshold()) && zeroOrUnset(relu.getNegativeSlope())) {
            return true;
        }
        throw new IllegalStateException("NativeBatchNormalization " + getLayerName()
                + " supports the identity or a plain ReLU as activation, not " + getActivationFn());
    }

    private static boolean zeroOrUnset(Double value) {
        return value == null || value == 0.0;
    }

    /** Whether {@code layer} normalises on this project's helper, which keeps its last batch statistics. */
    public static boolean keepsBatchStatistics(Layer layer) {
        return helperOf(layer) != null;
    }

    /**
     * The per-channel mean and biased variance {@code layer} normalised its last training-mode batch with (each pass
     * makes new arrays), or null when it has not run in training mode or does not keep them.
     */
    public static double[][] lastBatchStatistics(Layer layer) {
        NativeBatchNormHelper helper = helperOf(layer);
        return helper == null ? null : helper.lastBatchStatistics();
    }

    private static NativeBatchNormHelper helperOf(Layer layer) {
        if (!(layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization bn)) {
            return null;
        }
        try {
            return HELPER.get(bn) instanceof NativeBatchNormHelper helper ? helper : null;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        org.deeplearning4j.nn.layers.normalization.BatchNormalization layer;
        if (appliesRelu()) {
            layer = new BatchNormReluLayer(conf, networkDataType);
            layer.setListeners(trainingListeners);
            layer.setIndex(layerIndex);
            layer.setParamsViewArray(layerParamsView);
            Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
            layer.setParamTable(params);
            layer.setConf(conf);
        } else {
            layer = (org.deeplearning4j.nn.layers.normalization.BatchNormalization) super.instantiate(conf,
                    trainingListeners, layerIndex, layerParamsView, initializeParams, networkDataType);
        }
        if (!isLockGammaBeta()) {
            try {
                HELPER.set(layer, new NativeBatchNormHelper());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return layer;
    }
}
