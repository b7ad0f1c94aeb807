package io.seresnext.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_dilated_convolution_backward_data_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_dilated_convolution_backward_weights_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_dilated_convolution_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_set_scratchpad_mode;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_impl_info_str;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_scratchpad_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_scratchpad_mode_user;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A grouped 2-D convolution without bias as one oneDNN primitive per pass (forward, backward data, backward
 * weights), run on the ND4J arrays' own buffers. libnd4j's conv2d has no groups, so the per-group form makes one
 * call per group, each with its own layout reorders; oneDNN has grouped convolution as a single primitive, reached
 * through JavaCPP's presets for oneDNN (a second copy of the library: libnd4j links its own statically and exports
 * none of it).
 *
 * <p>The caller's arrays are float, c-order and contiguous: NCHW activations and [oC, iC / groups, kH, kW] weights,
 * oneDNN's plain {@code nchw} and {@code goihw}. oneDNN picks the layouts its fast kernels want, so each array is
 * reordered once per pass into (or, for outputs, out of) a scratch buffer of the thread where the two differ.
 * Primitives are built once per shape and thread. CPU backend only; {@link #usable()} says whether this JVM can run
 * it. GroupedConvolutionKernelTest holds it to the per-group form.
 */
final class OneDnnGroupedConvolution {

    /** {@code per-group} forces libnd4j's per-group calls (for comparison); anything else leaves oneDNN on */
    static final String KERNEL_PROPERTY = "seresnext.grouped-conv.kernel";

    /** distinct shapes kept per thread: training, validation and last-batch sizes of every grouped layer */
    private static final int PRIMITIVES_PER_THREAD = 256;

    private static volatile Boolean loaded;
    private static dnnl_engine engine;

    private static final ThreadLocal<dnnl_stream> STREAM = ThreadLocal.withInitial(() -> {
        dnnl_stream stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "stream");
        return stream;
    });

    /**
     * per thread, a buffer for each operand of a pass that oneDNN wants in another layout and one for the pass's
     * scratchpad, grown as needed
     */
    private static final ThreadLocal<Pointer[]> SCRATCH = ThreadLocal.withInitial(() -> new Pointer[4]);

    private static final ThreadLocal<Map<Geometry, Primitives>> PRIMITIVES = ThreadLocal.withInitial(() ->
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Geometry, Primitives> eldest) {
                    if (size() > PRIMITIVES_PER_THREAD) {
                        eldest.getValue().destroy();
                        return true;
                    }
                    return false;
                }
            });

    private OneDnnGroupedConvolution() {
    }

    /**
     * One convolution's sizes: input [n, c, h, w], output [n, outC, oh, ow], square-or-not kernel, stride,
     * dilation, and oneDNN's left/top and right/bottom padding.
     */
    record Geometry(long n, long c, long h, long w, long outC, long oh, long ow, int groups,
                    int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft, int padBottom,
                    int padRight) {

        /** The geometry of a convolution whose output size is already known (DL4J's, for either mode). */
        static Geometry of(long[] input, long outC, long oh, long ow, int groups, int[] kernel, int[] stride,
                int[] dilation, int[] padTopLeft) {
            int padBottom = (int) ((oh - 1) * stride[0] + (long) (kernel[0] - 1) * dilation[0] + 1 - input[2]
                    - padTopLeft[0]);
            int padRight = (int) ((ow - 1) * stride[1] + (long) (kernel[1] - 1) * dilation[1] + 1 - input[3]
                    - padTopLeft[1]);
            return new Geometry(input[0], input[1], input[2], input[3], outC, oh, ow, groups, kernel[0], kernel[1],
                    stride[0], stride[1], dilation[0], dilation[1], padTopLeft[0], padTopLeft[1], padBottom, padRight);
        }

        /** oneDNN needs the bottom/right padding non-negative (DL4J's truncate mode may drop input rows instead). */
        boolean supported() {
            return padBottom >= 0 && padRight >= 0;
        }
    }

    /** Whether oneDNN's grouped convolution runs here: not switched off, the CPU backend, its library loaded. */
    static boolean usable() {
        if ("per-group".equals(System.getProperty(KERNEL_PROPERTY))) {
            return false;
        }
        Boolean u = loaded;
        if (u == null) {
            synchronized (OneDnnGroupedConvolution.class) {
                if (loaded == null) {
                    loaded = Nd4j.getEnvironment().isCPU() && load();
                }
                u = loaded;
            }
        }
        return u;
    }

    private static boolean load() {
        try {
            dnnl_engine e = new dnnl_engine();
            check(dnnl_engine_create(e, dnnl_cpu, 0), "engine");
            engine = e;
            return true;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | IllegalStateException e) {
            org.slf4j.LoggerFactory.getLogger(OneDnnGroupedConvolution.class).warn(
                    "oneDNN's grouped convolution is not available ({}); using one libnd4j call per group", e.toString());
            return false;
        }
    }

    /** Whether these arrays can be handed to oneDNN as they are. */
    static boolean accepts(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || !contiguous(a)) {
                return false;
            }
        }
        return true;
    }

    /** out = conv(x, w) */
    static void forward(Geometry g, INDArray x, INDArray w, INDArray out) {
        primitives(g).forward.run(x, w, out);
    }

    /**
     * inputGrad = dL/dx and weightGrad = dL/dw (both overwritten) for delta = dL/dout; false (nothing written) where
     * oneDNN has only its gemm-based backward-weights pass for this shape, which is slower than the per-group calls.
     */
    static boolean backward(Geometry g, INDArray x, INDArray w, INDArray delta, INDArray inputGrad,
            INDArray weightGrad) {
        Primitives p = primitives(g);
        if (p.backwardWeights == null) {
            return false;
        }
        p.backwardData.run(delta, w, inputGrad);
        p.backwardWeights.run(x, delta, weightGrad);
        return true;
    }

    /** Whether {@link #backward} runs on oneDNN for this geometry. */
    static boolean backwardRuns(Geometry g) {
        return primitives(g).backwardWeights != null;
    }

    private static Primitives primitives(Geometry g) {
        return PRIMITIVES.get().computeIfAbsent(g, Primitives::new);
    }

    private static void execute(dnnl_primitive primitive, int[] argIds, dnnl_memory[] memories) {
        try (dnnl_exec_arg_t args = new dnnl_exec_arg_t(memories.length)) {
            for (int i = 0; i < memories.length; i++) {
                args.position(i).arg(argIds[i]).memory(memories[i]);
            }
            args.position(0);
            dnnl_stream stream = STREAM.get();
            check(dnnl_primitive_execute(primitive, stream, memories.length, args), "execute");
            check(dnnl_stream_wait(stream), "stream wait");
        }
    }

    private static dnnl_memory memory(dnnl_memory_desc_t desc, Pointer at) {
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, desc, engine, at), "memory");
        return m;
    }

    /**
     * The address of the array's first element. A view's buffer is itself a view whose address already includes
     * the array's offset (ND4J 1.0.0-M2.1), so only an offset beyond the buffer's own counts.
     */
    private static Pointer address(INDArray a) {
        long at = a.data().addressPointer().address() + (a.offset() - a.data().offset()) * a.dataType().width();
        return new Pointer() {
            {
                address = at;
            }
        };
    }

    private static boolean contiguous(INDArray a) {
        long expected = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) > 1 && a.stride(d) != expected) {
                return false;
            }
            expected *= a.size(d);
        }
        return true;
    }

    private static void check(int status, String what) {
        if (status != dnnl_success) {
            throw new IllegalStateException("oneDNN " + what + " failed with status " + status);
        }
    }

    /** The three passes of one geometry. */
    private static final class Primitives {
        final Pass forward;
        final Pass backwardData;
        /** null where oneDNN would run it on gemm */
        final Pass backwardWeights;

        Primitives(Geometry g) {
            long[] src = {g.n(), g.c(), g.h(), g.w()};
            long[] dst = {g.n(), g.outC(), g.oh(), g.ow()};
            long[] wei = {g.groups(), g.outC() / g.groups(), g.c() / g.groups(), g.kh(), g.kw()};
            long[] strides = {g.sh(), g.sw()};
            long[] dilates = {g.dh() - 1, g.dw() - 1}; // oneDNN counts dilation from 0
            long[] padL = {g.padTop(), g.padLeft()};
            long[] padR = {g.padBottom(), g.padRight()};

            // layouts left to oneDNN: its fast kernels want blocked ones, reached by one reorder per array
            dnnl_convolution_desc_t fd = new dnnl_convolution_desc_t();
            check(dnnl_dilated_convolution_forward_desc_init(fd, dnnl_forward_training, dnnl_convolution_direct,
                    any(src), any(wei), null, any(dst), strides, dilates, padL, padR), "forward descriptor");
            dnnl_primitive_desc forwardPd = create(fd, null);
            try {
                forward = new Pass(forwardPd, new Operand(DNNL_ARG_SRC, dnnl_query_src_md, src, dnnl_nchw, false),
                        new Operand(DNNL_ARG_WEIGHTS, dnnl_query_weights_md, wei, dnnl_goihw, false),
                        new Operand(DNNL_ARG_DST, dnnl_query_dst_md, dst, dnnl_nchw, true));

                dnnl_convolution_desc_t bd = new dnnl_convolution_desc_t();
                check(dnnl_dilated_convolution_backward_data_desc_init(bd, dnnl_convolution_direct, any(src),
                        any(wei), any(dst), strides, dilates, padL, padR), "backward-data descriptor");
                dnnl_primitive_desc dataPd = create(bd, forwardPd);
                try {
                    backwardData = new Pass(dataPd,
                            new Operand(DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md, dst, dnnl_nchw, false),
                            new Operand(DNNL_ARG_WEIGHTS, dnnl_query_weights_md, wei, dnnl_goihw, false),
                            new Operand(DNNL_ARG_DIFF_SRC, dnnl_query_diff_src_md, src, dnnl_nchw, true));
                } finally {
                    dnnl_primitive_desc_destroy(dataPd);
                }

                dnnl_convolution_desc_t wd = new dnnl_convolution_desc_t();
                check(dnnl_dilated_convolution_backward_weights_desc_init(wd, dnnl_convolution_direct, any(src),
                        any(wei), null, any(dst), strides, dilates, padL, padR), "backward-weights descriptor");
                dnnl_primitive_desc weightsPd = create(wd, forwardPd);
                try {
                    backwardWeights = implementation(weightsPd).contains("gemm") ? null
                            : new Pass(weightsPd, new Operand(DNNL_ARG_SRC, dnnl_query_src_md, src, dnnl_nchw, false),
                                    new Operand(DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md, dst, dnnl_nchw, false),
                                    new Operand(DNNL_ARG_DIFF_WEIGHTS, dnnl_query_diff_weights_md, wei, dnnl_goihw,
                                            true));
                } finally {
                    dnnl_primitive_desc_destroy(weightsPd);
                }
            } finally {
                dnnl_primitive_desc_destroy(forwardPd);
            }
        }

        void destroy() {
            forward.destroy();
            backwardData.destroy();
            if (backwardWeights != null) {
                backwardWeights.destroy();
            }
        }
    }

    /**
     * One primitive and its operands: each operand is the caller's plain array where the primitive takes that
     * layout, else a reorder into (inputs) or out of (outputs) a scratch buffer of the thread.
     */
    private static final class Pass {
        final dnnl_primitive primitive;
        final Operand[] operands;

        /** the primitive's scratchpad, in the thread's last scratch buffer; null where it needs none */
        final dnnl_memory_desc_t scratchpad;
        final long scratchpadBytes;

        Pass(dnnl_primitive_desc pd, Operand... operands) {
            this.operands = operands;
            for (Operand o : operands) {
                o.bind(pd);
            }
            dnnl_memory_desc_t wanted = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            long bytes = wanted == null || wanted.isNull() ? 0 : dnnl_memory_desc_get_size(wanted);
            scratchpad = bytes == 0 ? null : copy(wanted);
            scratchpadBytes = bytes;
            primitive = new dnnl_primitive();
            check(dnnl_primitive_create(primitive, pd), "primitive");
        }

        void run(INDArray... arrays) {
            int count = arrays.length + (scratchpad == null ? 0 : 1);
            dnnl_memory[] user = new dnnl_memory[arrays.length];
            dnnl_memory[] internal = new dnnl_memory[count];
            Pointer[] scratch = SCRATCH.get();
            try {
                for (int i = 0; i < arrays.length; i++) {
                    Operand o = operands[i];
                    user[i] = memory(o.user, address(arrays[i]));
                    if (o.reorder == null) {
                        internal[i] = user[i];
                        continue;
                    }
                    internal[i] = memory(o.internal, scratch(scratch, i, o.internalBytes));
                    if (!o.output) {
                        execute(o.reorder, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO},
                                new dnnl_memory[] {user[i], internal[i]});
                    }
                }
                int[] ids = new int[count];
                for (int i = 0; i < arrays.length; i++) {
                    ids[i] = operands[i].arg;
                }
                if (scratchpad != null) {
                    ids[arrays.length] = DNNL_ARG_SCRATCHPAD;
                    internal[arrays.length] = memory(scratchpad, scratch(scratch, arrays.length, scratchpadBytes));
                }
                execute(primitive, ids, internal);
                for (int i = 0; i < arrays.length; i++) {
                    if (operands[i].output && operands[i].reorder != null) {
                        execute(operands[i].reorder, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO},
                                new dnnl_memory[] {internal[i], user[i]});
                    }
                }
            } finally {
                for (int i = 0; i < internal.length; i++) {
                    dnnl_memory u = i < user.length ? user[i] : null;
                    if (internal[i] != null && internal[i] != u) {
                        dnnl_memory_destroy(internal[i]);
                    }
                    if (u != null) {
                        dnnl_memory_destroy(u);
                    }
                }
            }
        }

        /** The thread's scratch buffer {@code slot}, grown to at least {@code bytes}. */
        private static Pointer scratch(Pointer[] buffers, int slot, long bytes) {
            if (buffers[slot] == null || buffers[slot].capacity() < bytes) {
                if (buffers[slot] != null) {
                    buffers[slot].close();
                }
                buffers[slot] = new BytePointer(bytes);
            }
            return buffers[slot];
        }

        void destroy() {
            dnnl_primitive_destroy(primitive);
            for (Operand o : operands) {
                if (o.reorder != null) {
                    dnnl_primitive_destroy(o.reorder);
                }
            }
        }
    }

    /** One argument of a primitive: the caller's plain layout and, where they differ, the primitive's. */
    private static final class Operand {
        final int arg;
        final int query;
        final dnnl_memory_desc_t user;
        final boolean output;
        dnnl_memory_desc_t internal;
        long internalBytes;
        dnnl_primitive reorder;

        Operand(int arg, int query, long[] dims, int plainTag, boolean output) {
            this.arg = arg;
            this.query = query;
            this.user = desc(plainTag, dims);
            this.output = output;
        }

        /** Takes the layout the primitive wants, and a reorder to or from it where the caller's differs. */
        void bind(dnnl_primitive_desc pd) {
            dnnl_memory_desc_t wanted = dnnl_primitive_desc_query_md(pd, query, 0);
            if (dnnl_memory_desc_equal(user, wanted) == 1) {
                return;
            }
            internal = copy(wanted);
            internalBytes = dnnl_memory_desc_get_size(internal);
            dnnl_primitive_desc rpd = new dnnl_primitive_desc();
            check(output ? dnnl_reorder_primitive_desc_create(rpd, internal, engine, user, engine, null)
                    : dnnl_reorder_primitive_desc_create(rpd, user, engine, internal, engine, null),
                    "reorder descriptor");
            try {
                reorder = new dnnl_primitive();
                check(dnnl_primitive_create(reorder, rpd), "reorder");
            } finally {
                dnnl_primitive_desc_destroy(rpd);
            }
        }
    }

    /** A descriptor of our own: a queried one lives in its primitive descriptor, which goes before the pass. */
    private static dnnl_memory_desc_t copy(dnnl_memory_desc_t queried) {
        dnnl_memory_desc_t d = new dnnl_memory_desc_t();
        Pointer.memcpy(d, queried, Loader.sizeof(dnnl_memory_desc_t.class));
        return d;
    }

    private static dnnl_memory_desc_t desc(int tag, long... dims) {
        dnnl_memory_desc_t d = new dnnl_memory_desc_t();
        check(dnnl_memory_desc_init_by_tag(d, dims.length, dims, dnnl_f32, tag), "memory descriptor");
        return d;
    }

    private static dnnl_memory_desc_t any(long... dims) {
        return desc(dnnl_format_tag_any, dims);
    }

    /** A primitive descriptor whose scratchpad the caller passes in (else every primitive keeps its own). */
    private static dnnl_primitive_desc create(dnnl_convolution_desc_t desc, dnnl_primitive_desc hint) {
        dnnl_primitive_attr attr = new dnnl_primitive_attr();
        check(dnnl_primitive_attr_create(attr), "attributes");
        try {
            check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(desc), attr, engine, hint),
                    "primitive descriptor");
            return pd;
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
    }

    /** oneDNN's name for the implementation it chose, e.g. "jit:avx512_common" or "gemm:jit". */
    private static String implementation(dnnl_primitive_desc pd) {
        try (PointerPointer<BytePointer> name = new PointerPointer<>(1)) {
            check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name), "implementation query");
            return name.get(BytePointer.class, 0).getString();
        }
    }
}
