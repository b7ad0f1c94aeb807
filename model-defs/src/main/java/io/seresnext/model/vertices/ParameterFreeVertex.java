package io.seresnext.model.vertices;

import java.util.Objects;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;

/**
 * What the project's vertex configurations share: no parameters, no memory of their own beyond their output, and
 * equality by class and their one setting. The runtime side is {@link ParameterFreeVertexImpl}.
 */
abstract class ParameterFreeVertex extends GraphVertex {

    /** The vertex's setting that equality compares (null when it has none). Not a bean property: not in JSON. */
    protected abstract Object setting();

    @Override
    public abstract ParameterFreeVertex clone();

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Objects.equals(((ParameterFreeVertex) o).setting(),
                setting());
    }

    @Override
    public final int hashCode() {
        return Objects.hash(getClass().getName(), setting());
    }

    @Override
    public final long numParams(boolean backprop) {
        return 0;
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputTypes) {
        return new LayerMemoryReport.Builder(null, getClass(), inputTypes[0], getOutputType(-1, inputTypes))
                .standardMemory(0, 0).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }
}
