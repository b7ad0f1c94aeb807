package io.seresnext.model.layers;

import io.seresnext.model.NdArrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runtime of a {@link NativeBatchNormalization} with a fused ReLU: the ReLU runs in place on the batch norm's own
 * output, so the pair keeps one activation array instead of two and skips DL4J's ActivationLayer copies (it
 * duplicates its input forward and its gradient backward). Backward masks the incoming gradient with the kept
 * output (ReLU's output is positive exactly where its input is) before batch norm's backward pass.
 */
class BatchNormReluLayer extends BatchNormalization {

    /** This layer's output of the last training forward pass; lives in the activations workspace until backprop. */
    private INDArray output;

    BatchNormReluLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        INDArray out = super.activate(training, workspaceMgr);
        NdArrays.reluInPlace(out);
        output = training ? out : null;
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (output == null) {
            throw new IllegalStateException("BatchNormReluLayer " + layerId()
                    + ": backprop without a training forward pass");
        }
        INDArray delta = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, epsilon.dataType(),
                epsilon.shape(), 'c');
        NdArrays.reluBackward(output, epsilon, delta);
        return super.backpropGradient(delta, workspaceMgr);
    }

    @Override
    public void clear() {
        super.clear();
        output = null;
    }
}
