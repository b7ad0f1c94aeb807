package io.seresnext.model.layers;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 2D convolution with {@code groups} independent channel groups (PyTorch's {@code groups=}), as one layer.
 *
 * <p>DL4J 1.0.0-M2.x has no grouped convolution: {@link ConvolutionLayer} and ND4J's {@code Conv2DConfig} take no
 * group count. This layer keeps everything else of the stock configuration (kernel, stride, padding, mode, bias,
 * JSON form) and runs each group through libnd4j's native {@code conv2d} / {@code conv2d_bp} ops. Weights are
 * {@code [nOut, nIn/groups, kH, kW]}, the PyTorch layout, so parameter counts equal the reference's.
 * With {@code groups = 1} it is a plain convolution that always takes the native path.
 */
public class GroupedConvolution2D extends ConvolutionLayer {

    private int groups = 1;

    /** For Jackson. */
    public GroupedConvolution2D() {
    }

    protected GroupedConvolution2D(Builder builder) {
        super(builder);
        if (builder.groups < 1) {
            throw new IllegalArgumentException("groups must be >= 1, got " + builder.groups);
        }
        this.groups = builder.groups;
        checkDivisible();
    }

    public int getGroups() {
        return groups;
    }

    public void setGroups(int groups) {
        this.groups = groups;
    }

    /** Input channels seen by each group. */
    public long inChannelsPerGroup() {
        return nIn / groups;
    }

    /** Output channels produced by each group. */
    public long outChannelsPerGroup() {
        return nOut / groups;
    }

    private void checkDivisible() {
        if (nIn > 0 && nIn % groups != 0 || nOut > 0 && nOut % groups != 0) {
            throw new IllegalArgumentException("GroupedConvolution2D '" + getLayerName() + "': nIn=" + nIn
                    + " and nOut=" + nOut + " must both be divisible by groups=" + groups);
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        super.setNIn(inputType, override);
        checkDivisible();
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("GroupedConvolution2D", getLayerName(), layerIndex, getNIn(), getNOut());
        checkDivisible();
        GroupedConvolution2DLayer ret = new GroupedConvolution2DLayer(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public ParamInitializer initializer() {
        return GroupedConvolutionParamInitializer.getInstance();
    }

    @Override
    public GroupedConvolution2D clone() {
        return (GroupedConvolution2D) super.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupedConvolution2D && super.equals(o) && ((GroupedConvolution2D) o).groups == groups;
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof GroupedConvolution2D;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + groups;
    }

    public static class Builder extends ConvolutionLayer.BaseConvBuilder<Builder> {
        private int groups = 1;

        public Builder(int... kernelSize) {
            super(kernelSize);
        }

        public Builder groups(int groups) {
            this.groups = groups;
            return this;
        }

        @Override
        protected boolean allowCausal() {
            return false; // causal padding is for 1D convolutions
        }

        @Override
        @SuppressWarnings("unchecked")
        public GroupedConvolution2D build() {
            return new GroupedConvolution2D(this);
        }
    }
}
