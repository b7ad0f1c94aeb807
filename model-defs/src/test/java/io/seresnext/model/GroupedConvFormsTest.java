package io.seresnext.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Form (b), C concatenated paths of stock layers, and form (c), one grouped convolution layer, are the same
 * function: with form (c)'s weights cut into per-path pieces, both give the same outputs and the same gradients.
 * The forms also differ at each block's end: the grouped form merges SE scaling, residual add and ReLU in one
 * ResidualMergeVertex, the reference composes ChannelScaleVertex, DL4J's add vertex and an ActivationLayer; with
 * and without SE.
 */
class GroupedConvFormsTest {

    /** {@code s1b2_path3_conv1_W} -> block s1b2, path 3, parameter conv1_W of the grouped form. */
    private static final Pattern PATH_PARAM = Pattern.compile("(s\\d+b\\d+)_path(\\d+)_(.+)");

    private static ModelSpec grouped(boolean squeezeExcitation) {
        return TinyNets.tinyCifar(20).stemChannels(3).cardinality(4).groupWidth(2).squeezeExcitation(squeezeExcitation)
                .groupedConvForm(GroupedConvForm.GROUPED_LAYER).build();
    }

    /** Path i's slice of a grouped-form parameter: rows [i*d, (i+1)*d) of the first dimension. */
    private static INDArray pathSlice(INDArray groupedParam, int path, long d) {
        INDArray whole = groupedParam.dup(); // fresh array: see GroupSlices for why views of views are avoided
        INDArrayIndex[] idx = new INDArrayIndex[whole.rank()];
        idx[0] = NDArrayIndex.interval(path * d, (path + 1) * d);
        for (int k = 1; k < idx.length; k++) {
            idx[k] = NDArrayIndex.all();
        }
        return whole.get(idx);
    }

    /**
     * The grouped form's counterpart of one concatenated-paths array (a parameter or its gradient), shaped like
     * it: path i's slice of the grouped array, or the array of the same name.
     */
    private static INDArray groupedCounterpart(Map<String, INDArray> grouped, String pathsName, INDArray like) {
        Matcher m = PATH_PARAM.matcher(pathsName);
        INDArray value = m.matches()
                ? pathSlice(grouped.get(m.group(1) + "_" + m.group(3)), Integer.parseInt(m.group(2)), like.size(0))
                : grouped.get(pathsName);
        return value.reshape(like.shape());
    }

    /**
     * Double precision: libnd4j's generic kernels, agreement to rounding. Float: the native conv2d runs on oneDNN
     * (the CPU natives this project ships), agreement to float tolerance.
     */
    @ParameterizedTest
    @CsvSource({"DOUBLE, true, 1e-12, 1e-10", "FLOAT, true, 1e-4, 2e-3", "DOUBLE, false, 1e-12, 1e-10",
        "FLOAT, false, 1e-4, 2e-3"})
    void sameOutputsAndGradientsForTheSameWeights(DataType type, boolean squeezeExcitation, double outputTolerance,
                                                  double gradTolerance) {
        ModelSpec grouped = grouped(squeezeExcitation);
        ModelSpec paths = grouped.withGroupedConvForm(GroupedConvForm.CONCAT_PATHS);
        ComputationGraph c = TinyNets.init(grouped, type, 21);
        ComputationGraph b = TinyNets.init(paths, type, 22);
        assertEquals(c.numParams(), b.numParams());
        for (Map.Entry<String, INDArray> e : b.paramTable().entrySet()) {
            e.getValue().assign(groupedCounterpart(c.paramTable(), e.getKey(), e.getValue()));
        }

        INDArray input = TinyNets.input(grouped, 4, 3);
        INDArray labels = TinyNets.oneHot(4, grouped.numClasses());
        INDArray outC = c.outputSingle(false, input);
        INDArray outB = b.outputSingle(false, input);
        assertTrue(outC.equalsWithEps(outB, outputTolerance), "inference outputs differ");
        assertTrue(c.outputSingle(true, input).equalsWithEps(b.outputSingle(true, input), outputTolerance),
                "training-mode outputs differ");

        c.setInputs(input);
        c.setLabels(labels);
        c.computeGradientAndScore();
        b.setInputs(input);
        b.setLabels(labels);
        b.computeGradientAndScore();
        assertEquals(c.score(), b.score(), outputTolerance);

        Map<String, INDArray> gradC = c.gradient().gradientForVariable();
        int compared = 0;
        for (Map.Entry<String, INDArray> e : b.gradient().gradientForVariable().entrySet()) {
            INDArray expected = groupedCounterpart(gradC, e.getKey(), e.getValue());
            assertTrue(expected.equalsWithEps(e.getValue(), gradTolerance),
                    "gradient of " + e.getKey() + " differs");
            compared++;
        }
        assertTrue(compared > 100, "only " + compared + " gradients compared");
    }
}
