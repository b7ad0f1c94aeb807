package io.seresnext.model.vertices;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Runtime of {@link ZeroPadChannelsVertex}. */
public class ZeroPadChannelsVertexImpl extends ParameterFreeVertexImpl {

    private final int outChannels;

    public ZeroPadChannelsVertexImpl(ComputationGraph graph, String name, int vertexIndex, int outChannels,
            DataType dataType) {
        super(graph, name, vertexIndex, dataType);
        this.outChannels = outChannels;
    }

    private static INDArrayIndex[] firstChannels(long n) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(0, n), NDArrayIndex.all(),
                NDArrayIndex.all()};
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        INDArray x = inputs[0];
        INDArray out = workspaceMgr.create(ArrayType.ACTIVATIONS, x.dataType(),
                new long[] {x.size(0), outChannels, x.size(2), x.size(3)}, 'c');
        out.get(firstChannels(x.size(1))).assign(x);
        return out;
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        INDArray grad = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, epsilon.get(firstChannels(inputs[0].size(1))), 'c');
        return new Pair<>(null, new INDArray[] {grad});
    }

    @Override
    public String toString() {
        return "ZeroPadChannelsVertex(id=" + vertexIndex + ",name=\"" + vertexName + "\",outChannels=" + outChannels + ")";
    }
}
