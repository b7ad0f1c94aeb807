package io.seresnext.model.vertices;

import io.seresnext.model.NdArrays;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/** Runtime of {@link ResidualMergeVertex}: scale, add and ReLU into one array; ReLU mask from that array. */
public class ResidualMergeVertexImpl extends ParameterFreeVertexImpl {

    private final boolean scaled;
    /** This vertex's output of the last training forward pass; lives in the activations workspace until backprop. */
    private INDArray output;

    public ResidualMergeVertexImpl(ComputationGraph graph, String name, int vertexIndex, boolean scaled,
                                   DataType dataType) {
        super(graph, name, vertexIndex, dataType);
        this.scaled = scaled;
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoForward()) {
            throw new IllegalStateException("ResidualMergeVertex " + vertexName + ": inputs not set");
        }
        INDArray residual = inputs[0];
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, residual.dataType(),
                residual.shape(), 'c');
        if (scaled) {
            Broadcast.mul(residual, channelWeights(), out, 0, 1);
            out.addi(inputs[1]);
        } else {
            Nd4j.exec(new AddOp(residual, inputs[1], out));
        }
        NdArrays.reluInPlace(out);
        output = training ? out : null;
        return out;
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoBackward() || output == null) {
            throw new IllegalStateException("ResidualMergeVertex " + vertexName
                    + ": backprop without a training forward pass");
        }
        INDArray residual = inputs[0];
        DataType type = residual.dataType();
        // gradient at the sum: the ReLU's output is positive exactly where its input is
        INDArray atSum = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, type, residual.shape(), 'c');
        NdArrays.reluBackward(output, epsilon, atSum);
        if (!scaled) {
            // DL4J accumulates a vertex's gradients in place into the first array it was given (ComputationGraph
            // calcBackpropGradients), so the two inputs must not share one array
            return new Pair<>(null, new INDArray[] {atSum, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, atSum)});
        }
        INDArray s = channelWeights();
        INDArray dResidual = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, type, residual.shape(), 'c');
        Broadcast.mul(atSum, s, dResidual, 0, 1);

        // dL/ds[n, c] = sum over H, W of atSum * residual: a row-wise dot product over [N*C, H*W] views
        long n = residual.size(0);
        long c = residual.size(1);
        long hw = residual.size(2) * residual.size(3);
        INDArray ds = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, type, new long[] {n * c}, 'c');
        Nd4j.exec(new Dot(atSum.reshape('c', n * c, hw), NdArrays.contiguous(residual).reshape('c', n * c, hw),
                ds, 1));
        // atSum itself is the shortcut's gradient: nothing here reads it after this point
        return new Pair<>(null, new INDArray[] {dResidual, atSum, ds.reshape('c', n, c)});
    }

    private INDArray channelWeights() {
        return inputs[2].castTo(inputs[0].dataType());
    }

    @Override
    public void clear() {
        super.clear();
        output = null;
    }

    @Override
    public String toString() {
        return "ResidualMergeVertex(id=" + vertexIndex + ",name=\"" + vertexName + "\",scaled=" + scaled + ")";
    }
}
