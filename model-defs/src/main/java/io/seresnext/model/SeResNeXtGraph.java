package io.seresnext.model;

import io.seresnext.model.layers.GroupedConvolution2D;
import io.seresnext.model.layers.NativeBatchNormalization;
import io.seresnext.model.vertices.ChannelScaleVertex;
import io.seresnext.model.vertices.ResidualMergeVertex;
import io.seresnext.model.vertices.ZeroPadChannelsVertex;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds the DL4J {@link ComputationGraphConfiguration} of a {@link ModelSpec}, one method per block type of the
 * architecture table. Vertex names follow the table: {@code stem_*}, {@code s2b3_*} (stage 2, block 3),
 * {@code head_*}. Conventions of the PyTorch reference (timm / torchvision): stride on the 3x3, explicit padding,
 * SE on the output of the last BN of the residual branch, before the add.
 */
public final class SeResNeXtGraph {

    public static final String INPUT = "input";
    public static final String OUTPUT = "head_fc";

    private final ModelSpec spec;
    private final GraphBuilder g;

    private SeResNeXtGraph(ModelSpec spec, NeuralNetConfiguration.Builder base) {
        this.spec = spec;
        this.g = base.convolutionMode(ConvolutionMode.Truncate).graphBuilder();
    }

    /** The configuration with default training settings (SGD with Nesterov momentum 0.9, lr 0.1, seed 42). */
    public static ComputationGraphConfiguration configuration(ModelSpec spec) {
        return configuration(spec, new NeuralNetConfiguration.Builder()
                .seed(42)
                .updater(new Nesterovs(0.1, 0.9))
                .weightInit(WeightInit.RELU));
    }

    /** The configuration on top of the caller's global settings (updater, regularisation, seed, data type). */
    public static ComputationGraphConfiguration configuration(ModelSpec spec, NeuralNetConfiguration.Builder base) {
        return new SeResNeXtGraph(spec, base).build();
    }

    private ComputationGraphConfiguration build() {
        g.addInputs(INPUT).setInputTypes(
                InputType.convolutional(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
        String x = stem(INPUT);
        int channels = spec.stemChannels();
        for (int s = 0; s < spec.stages().size(); s++) {
            StageSpec stage = spec.stages().get(s);
            for (int b = 0; b < stage.blocks(); b++) {
                String prefix = "s" + (s + 1) + "b" + (b + 1);
                x = bottleneck(prefix, x, channels, stage, b == 0 ? stage.stride() : 1);
                channels = stage.outChannels();
            }
        }
        head(x);
        return g.setOutputs(OUTPUT).build();
    }

    // --- block types -------------------------------------------------------------------------------------------

    private String stem(String in) {
        if (spec.stem() == Stem.IMAGENET) {
            conv("stem_conv", in, spec.stemChannels(), 7, 2);
            String x = bnRelu("stem", "stem_conv", false);
            g.addLayer("stem_pool", new SubsamplingLayer.Builder(PoolingType.MAX)
                    .kernelSize(3, 3).stride(2, 2).padding(1, 1).build(), x);
            return "stem_pool";
        }
        conv("stem_conv", in, spec.stemChannels(), 3, 1);
        return bnRelu("stem", "stem_conv", false);
    }

    /** conv1 1x1 -> grouped 3x3 (stride) -> conv3 1x1 -> BN -> [SE] -> + shortcut -> ReLU. */
    private String bottleneck(String p, String in, int inChannels, StageSpec stage, int stride) {
        String transformed = spec.groupedConvForm() == GroupedConvForm.GROUPED_LAYER || spec.cardinality() == 1
                ? groupedTransform(p, in, stage.width(), stride)
                : concatenatedPaths(p, in, stage.width(), stride);
        conv(p + "_conv3", transformed, stage.outChannels(), 1, 1);
        String residual = bn(p + "_bn3", p + "_conv3", spec.zeroInitResidualGamma());
        String channelWeights = spec.squeezeExcitation()
                ? squeezeExcitation(p + "_se", residual, stage.outChannels())
                : null;
        String shortcut = shortcut(p + "_shortcut", in, inChannels, stage.outChannels(), stride);
        return merge(p, residual, channelWeights, shortcut);
    }

    /**
     * ReLU(residual [* SE channel weights] + shortcut), named {@code p_out}. The grouped-layer form does it in one
     * {@link ResidualMergeVertex} (one kept array instead of three); the concatenated-paths form, the reference,
     * composes stock parts: {@code p_se_scale}, {@code p_add}, {@code p_out}.
     */
    private String merge(String p, String residual, String channelWeights, String shortcut) {
        boolean scaled = channelWeights != null;
        if (spec.groupedConvForm() == GroupedConvForm.GROUPED_LAYER) {
            String[] inputs = scaled ? new String[] {residual, shortcut, channelWeights}
                    : new String[] {residual, shortcut};
            g.addVertex(p + "_out", new ResidualMergeVertex(scaled), inputs);
            return p + "_out";
        }
        if (scaled) {
            g.addVertex(p + "_se_scale", new ChannelScaleVertex(), residual, channelWeights);
            residual = p + "_se_scale";
        }
        g.addVertex(p + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), residual, shortcut);
        return relu(p + "_out", p + "_add");
    }

    /** Form (c): 1x1 to the full width, then one grouped 3x3 with C groups. */
    private String groupedTransform(String p, String in, int width, int stride) {
        conv(p + "_conv1", in, width, 1, 1);
        String x = bnRelu(p + "_1", p + "_conv1", false);
        g.addLayer(p + "_conv2", new GroupedConvolution2D.Builder(3, 3).groups(spec.cardinality())
                .stride(stride, stride).padding(1, 1).nOut(width).hasBias(false).activation(Activation.IDENTITY)
                .build(), x);
        return bnRelu(p + "_2", p + "_conv2", false);
    }

    /** Form (b): C paths of 1x1 (d) and 3x3 (d) from stock layers, concatenated to C x d channels. */
    private String concatenatedPaths(String p, String in, int width, int stride) {
        int d = width / spec.cardinality();
        String[] paths = new String[spec.cardinality()];
        for (int i = 0; i < paths.length; i++) {
            String q = p + "_path" + i;
            conv(q + "_conv1", in, d, 1, 1);
            String x = bnRelu(q + "_1", q + "_conv1", false);
            conv(q + "_conv2", x, d, 3, stride);
            paths[i] = bnRelu(q + "_2", q + "_conv2", false);
        }
        g.addVertex(p + "_concat", new MergeVertex(), paths);
        return p + "_concat";
    }

    /** Squeeze (global average pool) -> FC(C/r, ReLU) -> FC(C, sigmoid): the channel weights, {@code [N, C]}. */
    private String squeezeExcitation(String p, String in, int channels) {
        g.addLayer(p + "_pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
        g.addLayer(p + "_fc1", new DenseLayer.Builder().nOut(channels / spec.seReduction())
                .activation(Activation.RELU).hasBias(true).build(), p + "_pool");
        g.addLayer(p + "_fc2", new DenseLayer.Builder().nOut(channels)
                .activation(Activation.SIGMOID).weightInit(WeightInit.XAVIER).hasBias(true).build(), p + "_fc1");
        return p + "_fc2";
    }

    private String shortcut(String p, String in, int inChannels, int outChannels, int stride) {
        if (stride == 1 && inChannels == outChannels) {
            return in;
        }
        if (spec.shortcut() == ShortcutType.PROJECTION) {
            conv(p + "_conv", in, outChannels, 1, stride);
            return bn(p + "_bn", p + "_conv", false);
        }
        String x = in;
        if (stride != 1) {
            g.addLayer(p + "_pool", new SubsamplingLayer.Builder(PoolingType.AVG)
                    .kernelSize(stride, stride).stride(stride, stride).build(), x);
            x = p + "_pool";
        }
        if (outChannels != inChannels) {
            g.addVertex(p + "_pad", new ZeroPadChannelsVertex(outChannels), x);
            x = p + "_pad";
        }
        return x;
    }

    private void head(String in) {
        g.addLayer("head_pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
        g.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(spec.numClasses()).activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER)
                .hasBias(true).build(), "head_pool");
    }

    // --- layers ------------------------------------------------------------------------------------------------

    /**
     * Linear convolution without bias (a BN follows; the identity activation is explicit because DL4J's global
     * default, sigmoid, would otherwise apply); padding 1 for 3x3, 0 for 1x1, 3 for 7x7. The grouped-layer form
     * runs every convolution on libnd4j's native op (oneDNN / cuDNN where the natives have them); the
     * concatenated-paths form keeps DL4J's stock layer throughout, as the reference the tests compare against.
     */
    private void conv(String name, String in, int nOut, int kernel, int stride) {
        ConvolutionLayer.BaseConvBuilder<?> b = spec.groupedConvForm() == GroupedConvForm.GROUPED_LAYER
                ? new GroupedConvolution2D.Builder(kernel, kernel)
                : new ConvolutionLayer.Builder(kernel, kernel);
        g.addLayer(name, b.stride(stride, stride).padding(kernel / 2, kernel / 2).nOut(nOut).hasBias(false)
                .activation(Activation.IDENTITY).build(), in);
    }

    private String bn(String name, String in, boolean zeroGamma) {
        return batchNorm(name, in, zeroGamma, Activation.IDENTITY);
    }

    private String relu(String name, String in) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), in);
        return name;
    }

    /** BN and ReLU as one layer: the ReLU runs in place on the normalised output (see NativeBatchNormalization). */
    private String bnRelu(String prefix, String in, boolean zeroGamma) {
        return batchNorm(prefix + "_bn", in, zeroGamma, Activation.RELU);
    }

    private String batchNorm(String name, String in, boolean zeroGamma, Activation activation) {
        BatchNormalization.Builder b = new BatchNormalization.Builder().decay(0.9).eps(1e-5).activation(activation);
        if (zeroGamma) {
            b.gamma(0.0);
        }
        g.addLayer(name, NativeBatchNormalization.of(b.build()), in);
        return name;
    }
}
