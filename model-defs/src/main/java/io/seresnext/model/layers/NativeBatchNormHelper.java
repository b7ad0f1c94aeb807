package io.seresnext.model.layers;

import io.seresnext.model.NdArrays;
import java.util.Collections;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalizationHelper;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Mean;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch normalisation of NCHW activations, forward and backward, in a few memory-bound passes over libnd4j's
 * native kernels. Replaces DL4J 1.0.0-M2.1's paths, which are several times slower than PyTorch's on this model
 * (BENCHMARKS.md):
 * <ul>
 *   <li>batch statistics: DL4J reduces over dimensions (0,2,3), libnd4j's slowest reduction shape. Here the array
 *   is read as [N*C, H*W] rows, whose mean and variance are contiguous row reductions, combined per channel in
 *   double precision (Chan's pairwise formula, so no cancellation);</li>
 *   <li>normalisation: libnd4j's {@code batchnorm} op with the batch statistics (oneDNN on CPU, cuDNN on CUDA);</li>
 *   <li>backward: instead of libnd4j's slow oneDNN {@code batchnorm_bp}, with xhat = (x - mean) / std,
 *   dL/dx = (gamma/std) dy - (gamma dgamma / (M std^2)) x + a per-channel constant: two row reductions (sum of dy,
 *   dot of dy and x) give dbeta and dgamma, then two per-channel affine passes (the {@code batchnorm} op with zero
 *   mean and unit variance is a per-channel scale-and-shift) and one add give dL/dx.</li>
 * </ul>
 * Other layouts, data types other than float and double, and locked gamma/beta return null, which makes DL4J's
 * layer use its own implementation. Tested against DL4J's own path in NativeBatchNormalizationTest.
 */
final class NativeBatchNormHelper implements BatchNormalizationHelper {

    /** Batch mean and variance of the last training forward pass, per channel, outside any workspace. */
    private INDArray meanCache;
    private INDArray varCache;
    private double[] batchMean;
    private double[] batchVar;

    @Override
    public boolean checkSupported(double eps, boolean fixedGammaBeta) {
        return !fixedGammaBeta;
    }

    @Override
    public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
                              INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format,
                              LayerWorkspaceMgr workspaceMgr) {
        if (!supported(x, gamma, beta, format)) {
            return null;
        }
        x = NdArrays.contiguous(x);
        INDArray m;
        INDArray v;
        if (training) {
            batchStatistics(x);
            m = meanCache;
            v = varCache;
        } else {
            m = mean.reshape(mean.length());
            v = var.reshape(var.length());
        }
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        scaleAndShift(x, m, v, vector(gamma), vector(beta), eps, out);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
                                                     INDArray beta, INDArray dGammaView, INDArray dBetaView,
                                                     double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (!supported(input, gamma, beta, format) || batchMean == null
                || batchMean.length != input.size(1)) {
            return null;
        }
        INDArray x = NdArrays.contiguous(input);
        INDArray dy = NdArrays.contiguous(epsilon);
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        long spatial = x.size(2) * x.size(3);
        double count = (double) n * spatial;

        double[] sumDy = perChannel(rowReduction(new Sum(rows(dy), rowResult(x), 1)), n, c);
        double[] dotDyX = perChannel(rowReduction(new Dot(rows(dy), rows(x), rowResult(x), 1)), n, c);
        double[] g = vector(gamma).toDoubleVector();

        double[] dGamma = new double[c];
        double[] xScale = new double[c];
        double[] xShift = new double[c];
        double[] dyScale = new double[c];
        for (int k = 0; k < c; k++) {
            double invStd = 1.0 / Math.sqrt(batchVar[k] + eps);
            dGamma[k] = (dotDyX[k] - batchMean[k] * sumDy[k]) * invStd;
            dyScale[k] = g[k] * invStd;
            xScale[k] = -g[k] * dGamma[k] * invStd * invStd / count;
            xShift[k] = dyScale[k] * (batchMean[k] * dGamma[k] * invStd - sumDy[k]) / count;
        }

        DataType type = x.dataType();
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, type, x.shape(), 'c');
        INDArray dyPart = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, type, x.shape(), 'c');
        affine(x, xScale, xShift, dx);
        affine(dy, dyScale, new double[c], dyPart);
        dx.addi(dyPart);

        dGammaView.assign(Nd4j.createFromArray(dGamma).castTo(type).reshape(dGammaView.shape()));
        dBetaView.assign(Nd4j.createFromArray(sumDy).castTo(type).reshape(dBetaView.shape()));
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGammaView);
        gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, dBetaView);
        return new Pair<>(gradient, dx);
    }

    @Override
    public INDArray getMeanCache(DataType dataType) {
        return meanCache;
    }

    @Override
    public INDArray getVarCache(DataType dataType) {
        return varCache;
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Collections.emptyMap();
    }

    @Override
    public boolean checkSupported() {
        return true;
    }

    // --- statistics ----------------------------------------------------------------------------------------------

    /** The per-channel mean and biased variance of the last training-mode forward pass, or null before one. */
    double[][] lastBatchStatistics() {
        return batchMean == null ? null : new double[][] {batchMean, batchVar};
    }

    /** Per-channel mean and (biased) variance from per-row means and variances, combined in double precision. */
    private void batchStatistics(INDArray x) {
        int n = (int) x.size(0);
        int c = (int) x.size(1);
        double[] rowMean = rowReduction(new Mean(rows(x), rowResult(x), 1)).toDoubleVector();
        double[] rowVar = rowReduction(new Variance(rows(x), rowResult(x), false, 1)).toDoubleVector();
        batchMean = new double[c];
        batchVar = new double[c];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                batchMean[k] += rowMean[i * c + k] / n;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                double d = rowMean[i * c + k] - batchMean[k];
                batchVar[k] += (rowVar[i * c + k] + d * d) / n;
            }
        }
        if (meanCache == null || meanCache.length() != c || meanCache.dataType() != x.dataType()) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                meanCache = Nd4j.createUninitialized(x.dataType(), c);
                varCache = Nd4j.createUninitialized(x.dataType(), c);
            }
        }
        meanCache.assign(Nd4j.createFromArray(batchMean));
        varCache.assign(Nd4j.createFromArray(batchVar));
    }

    private static double[] perChannel(INDArray rowValues, int n, int c) {
        double[] v = rowValues.toDoubleVector();
        double[] sum = new double[c];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                sum[k] += v[i * c + k];
            }
        }
        return sum;
    }

    private static INDArray rowReduction(org.nd4j.linalg.api.ops.Op op) {
        Nd4j.exec(op);
        return op.z();
    }

    /** The [N, C, H, W] array as N*C rows of H*W values (a view: the array is c-contiguous). */
    private static INDArray rows(INDArray nchw) {
        return nchw.reshape('c', nchw.size(0) * nchw.size(1), nchw.size(2) * nchw.size(3));
    }

    private static INDArray rowResult(INDArray nchw) {
        return Nd4j.createUninitialized(nchw.dataType(), nchw.size(0) * nchw.size(1));
    }

    // --- per-channel scale and shift -------------------------------------------------------------------------------

    /** out = gamma * (x - mean) / sqrt(var + eps) + beta, per channel: libnd4j's batchnorm op. */
    private static void scaleAndShift(INDArray x, INDArray mean, INDArray var, INDArray gamma, INDArray beta,
                                      double eps, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                .addInputs(x, mean, var, gamma, beta)
                .addOutputs(out)
                .addIntegerArguments(1, 1, 1) // apply gamma, apply beta, channel axis 1
                .addFloatingPointArguments(eps)
                .build());
    }

    /**
     * out = scale * x + shift, per channel: the batchnorm op with mean 0 and variance 1 - eps, so that
     * sqrt(variance + eps) is 1 whatever eps the op adds.
     */
    private static void affine(INDArray x, double[] scale, double[] shift, INDArray out) {
        DataType type = x.dataType();
        int c = scale.length;
        double eps = 1e-5;
        scaleAndShift(x, Nd4j.zeros(type, c), Nd4j.valueArrayOf(new long[] {c}, 1.0 - eps, type),
                Nd4j.createFromArray(scale).castTo(type), Nd4j.createFromArray(shift).castTo(type), eps, out);
    }

    // --- arguments -------------------------------------------------------------------------------------------------

    private static boolean supported(INDArray x, INDArray gamma, INDArray beta, CNN2DFormat format) {
        return x.rank() == 4 && format == CNN2DFormat.NCHW && gamma != null && beta != null
                && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE);
    }

    private static INDArray vector(INDArray a) {
        return a.rank() == 1 ? a : a.reshape(a.length());
    }
}
