package io.seresnext.model.layers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runtime of {@link GroupedConvolution2D}. On the CPU backend, one oneDNN primitive per pass for all groups
 * ({@link OneDnnGroupedConvolution}); otherwise (CUDA, a bias, another data type) one native {@code conv2d}
 * (forward) and {@code conv2d_bp} (backward) op per group, reading and writing channel slices of the full arrays in
 * place, so no per-group copies are made. Activations are NCHW.
 */
public class GroupedConvolution2DLayer extends BaseLayer<GroupedConvolution2D> {

    /** libnd4j's weight layout code for [oC, iC, kH, kW]. */
    private static final int WEIGHTS_OIHW = 1;
    private static final int DATA_NCHW = 0;

    public GroupedConvolution2DLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public Type type() {
        return Type.CONVOLUTIONAL;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public boolean hasBias() {
        return layerConf().hasBias();
    }

    @Override
    public void setParams(INDArray params) {
        setParams(params, 'c'); // parameters are stored in c order, as for the stock convolution
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        applyDropOutIfNecessary(training, workspaceMgr);
        INDArray z = preOutput(training, workspaceMgr);
        return layerConf().getActivationFn().getActivation(z, training);
    }

    @Override
    protected INDArray preOutput(boolean training, LayerWorkspaceMgr workspaceMgr) {
        checkInput();
        INDArray x = input.castTo(dataType);
        INDArray w = getParamWithNoise(GroupedConvolutionParamInitializer.WEIGHT_KEY, training, workspaceMgr);
        INDArray b = hasBias() ? getParamWithNoise(GroupedConvolutionParamInitializer.BIAS_KEY, training, workspaceMgr) : null;
        int[] pad = padding(x);
        int[] outSize = ConvolutionUtils.getOutputSize(x, layerConf().getKernelSize(), layerConf().getStride(),
                layerConf().getConvolutionMode() == ConvolutionMode.Same ? null : pad,
                layerConf().getConvolutionMode(), layerConf().getDilation(), CNN2DFormat.NCHW);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType,
                x.size(0), layerConf().getNOut(), outSize[0], outSize[1]);
        OneDnnGroupedConvolution.Geometry geometry = oneDnnGeometry(x, w, pad, outSize, b);
        if (geometry != null) {
            OneDnnGroupedConvolution.forward(geometry, contiguous(x, ArrayType.FF_WORKING_MEM, workspaceMgr), w, out);
            return out;
        }
        int groups = layerConf().getGroups();
        for (int g = 0; g < groups; g++) {
            DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d")
                    .addIntegerArguments(intArgs(pad))
                    .addOutputs(channels(out, g, groups));
            if (b != null) {
                op.addInputs(channels(x, g, groups), filters(w, g, groups), filters(b, g, groups));
            } else {
                op.addInputs(channels(x, g, groups), filters(w, g, groups));
            }
            Nd4j.exec(op.build());
        }
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        INDArray x = input.castTo(dataType);
        INDArray w = getParamWithNoise(GroupedConvolutionParamInitializer.WEIGHT_KEY, true, workspaceMgr);
        INDArray b = hasBias() ? getParamWithNoise(GroupedConvolutionParamInitializer.BIAS_KEY, true, workspaceMgr) : null;
        INDArray delta = epsilon.castTo(dataType);
        IActivation afn = layerConf().getActivationFn();
        if (!(afn instanceof ActivationIdentity)) {
            delta = afn.backprop(preOutput(true, workspaceMgr), delta).getFirst();
        }

        INDArray weightGrad = gradientViews.get(GroupedConvolutionParamInitializer.WEIGHT_KEY);
        INDArray biasGrad = b == null ? null : gradientViews.get(GroupedConvolutionParamInitializer.BIAS_KEY);
        INDArray inputGrad = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
        int[] pad = padding(x);
        OneDnnGroupedConvolution.Geometry geometry = oneDnnGeometry(x, w, pad,
                new int[] {(int) delta.size(2), (int) delta.size(3)}, b);
        boolean done = geometry != null && OneDnnGroupedConvolution.accepts(inputGrad, weightGrad)
                && OneDnnGroupedConvolution.backward(geometry, contiguous(x, ArrayType.BP_WORKING_MEM, workspaceMgr),
                        w, contiguous(delta, ArrayType.BP_WORKING_MEM, workspaceMgr), inputGrad, weightGrad);
        if (!done) {
            perGroupBackward(x, w, b, delta, inputGrad, weightGrad, biasGrad, pad);
        }

        Gradient gradient = new DefaultGradient();
        if (biasGrad != null) {
            gradient.setGradientFor(GroupedConvolutionParamInitializer.BIAS_KEY, biasGrad);
        }
        gradient.setGradientFor(GroupedConvolutionParamInitializer.WEIGHT_KEY, weightGrad, 'c');
        weightNoiseParams.clear();
        return new Pair<>(gradient, backpropDropOutIfPresent(inputGrad));
    }

    private void perGroupBackward(INDArray x, INDArray w, INDArray b, INDArray delta, INDArray inputGrad,
            INDArray weightGrad, INDArray biasGrad, int[] pad) {
        int groups = layerConf().getGroups();
        for (int g = 0; g < groups; g++) {
            DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d_bp")
                    .addIntegerArguments(intArgs(pad));
            if (b != null) {
                op.addInputs(channels(x, g, groups), filters(w, g, groups), filters(b, g, groups),
                        channels(delta, g, groups));
                op.addOutputs(channels(inputGrad, g, groups), filters(weightGrad, g, groups),
                        filters(biasGrad, g, groups));
            } else {
                op.addInputs(channels(x, g, groups), filters(w, g, groups), channels(delta, g, groups));
                op.addOutputs(channels(inputGrad, g, groups), filters(weightGrad, g, groups));
            }
            Nd4j.exec(op.build());
        }
    }

    /** The geometry oneDNN's grouped primitive runs this convolution with, or null where the per-group form must. */
    private OneDnnGroupedConvolution.Geometry oneDnnGeometry(INDArray x, INDArray weights, int[] pad, int[] outSize,
            INDArray bias) {
        if (bias != null || dataType != DataType.FLOAT || !OneDnnGroupedConvolution.usable()
                || !OneDnnGroupedConvolution.accepts(weights)) {
            return null;
        }
        GroupedConvolution2D c = layerConf();
        OneDnnGroupedConvolution.Geometry g = OneDnnGroupedConvolution.Geometry.of(x.shape(), c.getNOut(), outSize[0],
                outSize[1], c.getGroups(), c.getKernelSize(), c.getStride(), c.getDilation(), pad);
        return g.supported() ? g : null;
    }

    /** The array itself where oneDNN can read it in place, else a c-order copy in the workspace. */
    private static INDArray contiguous(INDArray a, ArrayType type, LayerWorkspaceMgr workspaceMgr) {
        return OneDnnGroupedConvolution.accepts(a) ? a : workspaceMgr.dup(type, a, 'c');
    }

    private void checkInput() {
        if (input.rank() != 4 || input.size(1) != layerConf().getNIn()) {
            throw new IllegalArgumentException("GroupedConvolution2D " + layerId() + " expects NCHW input with "
                    + layerConf().getNIn() + " channels, got shape " + java.util.Arrays.toString(input.shape()));
        }
    }

    private int[] padding(INDArray x) {
        GroupedConvolution2D c = layerConf();
        if (c.getConvolutionMode() != ConvolutionMode.Same) {
            return c.getPadding();
        }
        int[] outSize = ConvolutionUtils.getOutputSize(x, c.getKernelSize(), c.getStride(), null,
                ConvolutionMode.Same, c.getDilation(), CNN2DFormat.NCHW);
        return ConvolutionUtils.getSameModeTopLeftPadding(outSize, new int[] {(int) x.size(2), (int) x.size(3)},
                c.getKernelSize(), c.getStride(), c.getDilation());
    }

    private int[] intArgs(int[] pad) {
        GroupedConvolution2D c = layerConf();
        int[] k = c.getKernelSize();
        int[] s = c.getStride();
        int[] d = c.getDilation();
        int same = c.getConvolutionMode() == ConvolutionMode.Same ? 1 : 0;
        return new int[] {k[0], k[1], s[0], s[1], pad[0], pad[1], d[0], d[1], same, DATA_NCHW, WEIGHTS_OIHW};
    }

    /** Channel slice of group g of an NCHW array (a view). */
    private static INDArray channels(INDArray nchw, int g, int groups) {
        return GroupSlices.block(nchw, 1, g, groups);
    }

    /** Filters (or biases) of group g: a contiguous block along the first dimension (a view). */
    private static INDArray filters(INDArray array, int g, int groups) {
        return GroupSlices.block(array, 0, g, groups);
    }
}
