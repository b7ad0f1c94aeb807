package io.seresnext.model.vertices;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/** Runtime of {@link ChannelScaleVertex}: {@code y = x * s[:, :, None, None]}. */
public class ChannelScaleVertexImpl extends ParameterFreeVertexImpl {

    public ChannelScaleVertexImpl(ComputationGraph graph, String name, int vertexIndex, DataType dataType) {
        super(graph, name, vertexIndex, dataType);
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoForward()) {
            throw new IllegalStateException("ChannelScaleVertex " + vertexName + ": inputs not set");
        }
        INDArray x = inputs[0];
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        return Broadcast.mul(x, inputs[1].castTo(x.dataType()), out, 0, 1);
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        if (!canDoBackward()) {
            throw new IllegalStateException("ChannelScaleVertex " + vertexName + ": epsilon not set");
        }
        INDArray x = inputs[0];
        INDArray s = inputs[1].castTo(x.dataType());
        long n = x.size(0);
        long c = x.size(1);
        long hw = x.size(2) * x.size(3);

        // dL/dx = eps * s (broadcast over H, W)
        INDArray dx = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, x.dataType(), x.shape(), 'c');
        Broadcast.mul(epsilon, s, dx, 0, 1);

        // dL/ds[n, c] = sum_hw eps * x: a row-wise dot product over [N*C, H*W] views, no [N,C,H,W] temporary
        INDArray ds = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, x.dataType(), new long[] {n * c}, 'c');
        Nd4j.getExecutioner().exec(new Dot(epsilon.reshape('c', n * c, hw), x.reshape('c', n * c, hw), ds, 1));
        return new Pair<>(null, new INDArray[] {dx, ds.reshape('c', n, c)});
    }

    @Override
    public String toString() {
        return "ChannelScaleVertex(id=" + vertexIndex + ",name=\"" + vertexName + "\")";
    }
}
