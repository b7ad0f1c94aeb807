package io.seresnext.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/** Tiny double-precision networks and the gradient check every numeric test uses. */
final class TinyNets {

    private TinyNets() {
    }

    /** Global settings for gradient checks: double precision, no updater. */
    static NeuralNetConfiguration.Builder doubleNoUpdater(long seed) {
        return noUpdater(DataType.DOUBLE, seed);
    }

    static NeuralNetConfiguration.Builder noUpdater(DataType type, long seed) {
        Nd4j.setDefaultDataTypes(type, type);
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(type).updater(new NoOp())
                .weightInit(WeightInit.XAVIER);
    }

    /** A CIFAR-style spec with 4-16 channels and 8x8 inputs: every block type, a few thousand parameters. */
    static ModelSpec.Builder tinyCifar(int depth) {
        return ModelSpec.cifar(depth).name("tiny").stemChannels(4).baseChannels(4).widenFactor(1)
                .cardinality(2).groupWidth(2).seReduction(4).zeroInitResidualGamma(false)
                .numClasses(3).input(1, 8, 8);
    }

    static ComputationGraph init(ModelSpec spec, long seed) {
        return init(spec, DataType.DOUBLE, seed);
    }

    static ComputationGraph init(ModelSpec spec, DataType type, long seed) {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(spec, noUpdater(type, seed)));
        net.init();
        return net;
    }

    static INDArray input(ModelSpec spec, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(Nd4j.defaultFloatingPointType(), batch, spec.inputChannels(), spec.inputHeight(),
                spec.inputWidth());
    }

    static INDArray oneHot(int batch, int classes) {
        INDArray labels = Nd4j.zeros(Nd4j.defaultFloatingPointType(), batch, classes);
        for (int i = 0; i < batch; i++) {
            labels.putScalar(i, i % classes, 1.0);
        }
        return labels;
    }

    /** BN running statistics are stored as parameters but have no gradient: the check must leave them alone. */
    static Set<String> batchNormStatistics(ComputationGraph net) {
        return net.paramTable().keySet().stream()
                .filter(k -> k.endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_MEAN)
                        || k.endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_VAR)
                        || k.endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_LOG_STD))
                .collect(Collectors.toSet());
    }

    /**
     * Central finite differences against backprop, parameter by parameter, in double precision.
     *
     * <p>Not DL4J's {@code GradientCheckUtil}: it names parameters in vertex-index order while the flattened
     * parameters are laid out in topological order, so on graphs where the two differ (any ResNet with a projection
     * shortcut) its {@code excludeParams} skips the wrong ranges and BN running statistics get "checked". Here each
     * parameter is addressed by name through its own view. At most {@code perParam} entries of each parameter are
     * checked (chosen with a fixed seed) to keep the suite fast.
     */
    static void assertGradientsMatchFiniteDifferences(ComputationGraph net, INDArray input, INDArray labels) {
        assertGradientsMatchFiniteDifferences(net, input, labels, 6);
    }

    static void assertGradientsMatchFiniteDifferences(ComputationGraph net, INDArray input, INDArray labels,
            int perParam) {
        double eps = 1e-6;
        double maxRelError = 1e-3;
        double minAbsError = 1e-8;
        MultiDataSet data = new MultiDataSet(new INDArray[] {input}, new INDArray[] {labels});
        net.setInputs(input);
        net.setLabels(labels);
        net.computeGradientAndScore();
        // the updater divides by the minibatch size (the score is a mean); NoOp changes nothing else
        new ComputationGraphUpdater(net).update(net.gradient(), 0, 0, (int) input.size(0),
                LayerWorkspaceMgr.noWorkspaces());
        Map<String, INDArray> analytic = new LinkedHashMap<>();
        net.gradient().gradientForVariable().forEach((k, v) -> analytic.put(k, v.dup(v.ordering())));
        Set<String> skipped = batchNormStatistics(net);
        Random random = new Random(12345);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, INDArray> param : net.paramTable().entrySet()) {
            if (skipped.contains(param.getKey())) {
                continue;
            }
            // linear (c-order) indices into the views themselves: reshaping an 'f'-order weight would copy it
            INDArray values = param.getValue();
            INDArray grads = analytic.get(param.getKey());
            assertEquals(values.ordering(), grads.ordering(), param.getKey()); // same linear index, same element
            for (int n = 0; n < Math.min(perParam, values.length()); n++) {
                long i = values.length() <= perParam ? n : (long) (random.nextDouble() * values.length());
                double original = values.getDouble(i);
                values.putScalar(i, original + eps);
                double plus = net.score(data, true);
                values.putScalar(i, original - eps);
                double minus = net.score(data, true);
                values.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double backprop = grads.getDouble(i);
                double abs = Math.abs(backprop - numeric);
                double rel = abs == 0 ? 0 : abs / (Math.abs(backprop) + Math.abs(numeric));
                checked++;
                if (rel > maxRelError && abs > minAbsError) {
                    failures.add(String.format("%s[%d]: backprop %.8g, numeric %.8g, relative error %.3g",
                            param.getKey(), i, backprop, numeric, rel));
                }
            }
        }
        assertTrue(checked > 0, "no parameters checked");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " gradient entries differ:\n"
                + String.join("\n", failures));
    }
}
