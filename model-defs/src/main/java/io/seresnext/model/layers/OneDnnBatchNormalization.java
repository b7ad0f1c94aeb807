package io.seresnext.model.layers;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalisation whose forward and backward passes run on libnd4j's oneDNN kernels ({@code batchnorm},
 * {@code batchnorm_bp}) on the CPU backend. Works around DL4J 1.0.0-M2.1 never switching its own oneDNN
 * batch-norm helper on: HelperUtils creates helpers only when a system property allows it, and even then its
 * availability check reflects on a class ND4J no longer has, so it always answers no. This configuration builds
 * DL4J's stock layer and hands it that helper (DL4J's {@link MKLDNNBatchNormHelper}) directly; everything else,
 * parameters and JSON form included, is the stock {@link BatchNormalization}. On other backends it is the stock
 * layer. Tested in OneDnnBatchNormalizationTest.
 */
public class OneDnnBatchNormalization extends BatchNormalization {

    /** DL4J's layer keeps its helper in a package-private field that only its own factory ever sets. */
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
    public OneDnnBatchNormalization() {
    }

    /** The stock configuration {@code stock}, on oneDNN. */
    public static OneDnnBatchNormalization of(BatchNormalization stock) {
        OneDnnBatchNormalization layer = new OneDnnBatchNormalization();
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

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        Layer layer = super.instantiate(conf, trainingListeners, layerIndex, layerParamsView, initializeParams,
                networkDataType);
        if (onCpu() && !isLockGammaBeta()) {
            try {
                HELPER.set(layer, new MKLDNNBatchNormHelper(networkDataType));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return layer;
    }

    private static boolean onCpu() {
        return "CPU".equalsIgnoreCase(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"));
    }
}
