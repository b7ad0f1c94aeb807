package io.seresnext.model.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameters of {@link GroupedConvolution2D}: bias {@code [nOut]} (optional) followed by weights
 * {@code [nOut, nIn/groups, kH, kW]} in c order, so each group's filters are one contiguous block.
 */
public final class GroupedConvolutionParamInitializer implements ParamInitializer {

    public static final String WEIGHT_KEY = ConvolutionParamInitializer.WEIGHT_KEY;
    public static final String BIAS_KEY = ConvolutionParamInitializer.BIAS_KEY;

    private static final GroupedConvolutionParamInitializer INSTANCE = new GroupedConvolutionParamInitializer();

    public static GroupedConvolutionParamInitializer getInstance() {
        return INSTANCE;
    }

    private GroupedConvolutionParamInitializer() {
    }

    private static long[] weightShape(GroupedConvolution2D l) {
        int[] k = l.getKernelSize();
        return new long[] {l.getNOut(), l.inChannelsPerGroup(), k[0], k[1]};
    }

    private static long numWeights(GroupedConvolution2D l) {
        long[] s = weightShape(l);
        return s[0] * s[1] * s[2] * s[3];
    }

    private static long numBias(GroupedConvolution2D l) {
        return l.hasBias() ? l.getNOut() : 0;
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        GroupedConvolution2D l = (GroupedConvolution2D) layer;
        return numWeights(l) + numBias(l);
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return ((GroupedConvolution2D) layer).hasBias() ? List.of(WEIGHT_KEY, BIAS_KEY) : List.of(WEIGHT_KEY);
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return List.of(WEIGHT_KEY);
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return ((GroupedConvolution2D) layer).hasBias() ? List.of(BIAS_KEY) : Collections.emptyList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return WEIGHT_KEY.equals(key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return BIAS_KEY.equals(key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        GroupedConvolution2D l = (GroupedConvolution2D) conf.getLayer();
        Map<String, INDArray> params = Collections.synchronizedMap(new LinkedHashMap<>());
        long nBias = numBias(l);
        long[] shape = weightShape(l);
        INDArray weights = GroupSlices.range(paramsView, nBias, shape);
        if (initializeParams) {
            // fan-in/out as PyTorch computes them for a grouped convolution
            double receptive = shape[2] * shape[3];
            INDArray init = l.getWeightInitFn().init(shape[1] * receptive, shape[0] * receptive, shape, 'c',
                    GroupSlices.range(paramsView, nBias, numWeights(l)));
            weights.assign(init.reshape('c', shape)); // no-op copy when init wrote into the view
        }
        params.put(WEIGHT_KEY, weights);
        conf.addVariable(WEIGHT_KEY);
        if (nBias > 0) {
            INDArray biasView = GroupSlices.range(paramsView, 0, nBias);
            if (initializeParams) {
                biasView.assign(l.getBiasInit());
            }
            params.put(BIAS_KEY, biasView);
            conf.addVariable(BIAS_KEY);
        }
        return params;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        GroupedConvolution2D l = (GroupedConvolution2D) conf.getLayer();
        Map<String, INDArray> out = new LinkedHashMap<>();
        long nBias = numBias(l);
        out.put(WEIGHT_KEY, GroupSlices.range(gradientView, nBias, weightShape(l)));
        if (nBias > 0) {
            out.put(BIAS_KEY, GroupSlices.range(gradientView, 0, nBias));
        }
        return out;
    }
}
