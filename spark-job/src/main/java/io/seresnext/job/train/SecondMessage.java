package io.seresnext.job.train;

import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.EncodingHandler;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ResidualPostProcessor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A second threshold message per step, for the update mass the first could not carry. DL4J's threshold encoding
 * moves every entry whose residual reaches the threshold by exactly the threshold, so an entry whose update is
 * several thresholds large takes as many steps to arrive, and residual clipping discards what piles up meanwhile:
 * on the small benchmarks this quantisation, not the sparsity, was most of gradient sharing's gap to one worker
 * (BENCHMARKS.md). After the step's own message this listener encodes the worker's residual once more, at
 * {@code unit} times the step's threshold; only entries still that large are in it, so it is small.
 *
 * <p>The second message has a budget of its own, {@code maxEntryShare} of the entries (the encoder stops there; what
 * it leaves stays in the residual), and follows no dense (bitmap) message. Early in a run the step's message alone
 * carries about that share, when the large updates the second message is for are most common: a budget shared with
 * the step's message left it empty then. Each index appears at most once per message: DL4J's decoders add a
 * message's entries without atomics (on CUDA one thread per entry), so an index twice in one message may count once.
 *
 * <p>The residual is clipped after the second message, not between the two: DL4J's post-processor runs inside the
 * step's encoding, so the job gives DL4J none while this listener is on and applies DL4J's
 * {@code ResidualClippingPostProcessor} here instead ({@code clipping}, null for none). Clipping between the messages
 * threw away mass the second message would have sent.
 *
 * <p>One extra message, not more: DL4J queues each worker's messages for every replica of the executor in a queue
 * of twice the replica count, drained once per step, and its barriers keep the replicas in step; one step's
 * message plus one extra per replica fills it exactly, a third message deadlocks the replicas.
 *
 * <p>The message is encoded here, not by DL4J's handler, and sent through the handler's own send, so DL4J's threshold
 * algorithm sees only the step's message: the threshold adapts to the step's sparsity. Gradient sharing only; tested
 * in SecondMessageTest.
 */
public final class SecondMessage extends BaseTrainingListener implements Serializable {

    private static final Field LAST_WAS_DENSE = field("lastIterWasDense");
    private static final Field LAST_THRESHOLD = field("lastThreshold");
    private static final Field LAST_SPARSITY = field("lastSparsityRatio");
    private static final Method SEND = sendMethod();

    /** the extra message's threshold in multiples of the step's */
    private final double unit;
    /** the most entries the second message may carry, as a share of all */
    private final double maxEntryShare;
    /** the residual clipping DL4J would have applied after the step's message; null: none */
    private final ResidualPostProcessor clipping;

    public SecondMessage(double unit, double maxEntryShare, ResidualPostProcessor clipping) {
        if (!(unit > 0)) {
            throw new IllegalArgumentException("the second message's threshold must be a positive multiple of the "
                    + "step's, got " + unit);
        }
        if (!(maxEntryShare > 0 && maxEntryShare <= 1)) {
            throw new IllegalArgumentException("the messages' share of the entries must be in (0, 1], got "
                    + maxEntryShare);
        }
        this.unit = unit;
        this.maxEntryShare = maxEntryShare;
        this.clipping = clipping;
    }

    /** Runs on the worker's training thread after the step's message was sent and applied. */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!(model instanceof ComputationGraph graph) || graph.getOptimizer() == null) {
            return;
        }
        GradientsAccumulator accumulator = graph.getOptimizer().getGradientsAccumulator();
        if (!(accumulator instanceof EncodedGradientsAccumulator encoded)
                || !(encoded.getHandler() instanceof EncodingHandler handler)) {
            return;
        }
        ThreadLocal<INDArray> holder = ResidualCarryOver.threadResidual(model);
        INDArray residual = holder == null ? null : holder.get();
        StepMessage step = residual == null ? null : StepMessage.of(handler);
        if (step == null) {
            return;
        }
        long budget = (long) Math.floor(maxEntryShare * residual.length());
        if (!step.dense() && budget >= 2) {   // DL4J's encoder sends nothing below two entries
            // subtracts what it encodes from the residual, in place
            INDArray message = Nd4j.getExecutioner().thresholdEncode(residual, unit * step.threshold(),
                    (int) Math.min(budget, Integer.MAX_VALUE));
            if (message != null) {
                send(handler, message, iteration, epoch);
            }
        }
        if (clipping != null) {
            clipping.processResidual(iteration, epoch, step.threshold(), residual);
        }
    }

    /** What this thread's handler recorded of the step's message: its threshold, its share of entries, dense. */
    record StepMessage(double threshold, double sparsity, boolean dense) {

        /** Null before the thread's first message. */
        @SuppressWarnings("unchecked")
        static StepMessage of(EncodingHandler handler) {
            try {
                AtomicBoolean dense = ((ThreadLocal<AtomicBoolean>) LAST_WAS_DENSE.get(handler)).get();
                // DL4J keeps them in (shaded) Guava AtomicDoubles
                Number threshold = ((ThreadLocal<? extends Number>) LAST_THRESHOLD.get(handler)).get();
                Number sparsity = ((ThreadLocal<? extends Number>) LAST_SPARSITY.get(handler)).get();
                if (dense == null || threshold == null) {
                    return null;
                }
                return new StepMessage(threshold.doubleValue(), sparsity == null ? 0 : sparsity.doubleValue(),
                        dense.get());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read DL4J's encoding state", e);
            }
        }

        /** DL4J's sparsity counts the message's four header ints as entries. */
        long entries(long length) {
            return (long) Math.ceil(sparsity * length);
        }
    }

    private static void send(EncodingHandler handler, INDArray message, int iteration, int epoch) {
        try {
            SEND.invoke(handler, message, iteration, epoch);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call DL4J's EncodingHandler.sendMessage", e);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static Field field(String name) {
        try {
            Field f = EncodingHandler.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("DL4J's EncodingHandler has no field '" + name
                    + "'; SecondMessage needs updating for this DL4J version", e);
        }
    }

    /** The handler's own send: to this executor's replicas and, in a cluster, over DL4J's transport to the rest. */
    private static Method sendMethod() {
        try {
            Method m = EncodingHandler.class.getDeclaredMethod("sendMessage", INDArray.class, int.class, int.class);
            m.setAccessible(true);
            return m;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("DL4J's EncodingHandler has no sendMessage(INDArray, int, int); "
                    + "SecondMessage needs updating for this DL4J version", e);
        }
    }
}
