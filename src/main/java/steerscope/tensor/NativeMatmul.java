package steerscope.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three matmul products of {@link Kernels} on oneDNN's matmul primitive (through {@link Dnnl}), which picks
 * the CPU's best instructions itself (AMX or AVX512-BF16 dot products for BF16, AVX-512 or AVX2 FMAs for F32).
 *
 * <p>Weights are passed in place: a mapped BF16 or F32 matrix is handed to oneDNN at its mapped address, the
 * row-major [m, k] read as the transposed weights of x · Wᵀ (format tag ba), so nothing is copied or converted
 * (heap F32 weights, those being trained, are copied into native memory per call). Activations are copied into
 * native buffers. oneDNN 2.x multiplies BF16 weights only by BF16 activations, and rounding the activations to
 * BF16 (what torch does with a BF16 model) moves logits by a few 1e-2; so for BF16 weights each activation x is
 * split into two BF16 numbers, hi = bf16(x) and lo = bf16(x − hi), which sum to x within 2^-17 relative, stacked as
 * 2n rows of one product, and the two halves of the F32 result are added: the accuracy of F32 activations with F32
 * accumulation (what the Java kernels compute), for twice the dot products and the same weight reads.
 *
 * <p>A primitive is created once per shape and data type and kept (per thread, with its memory objects, so
 * threads never share a handle whose pointer another thread is setting). oneDNN's matmul is deterministic for a
 * given shape and thread count, but its blocking depends on the number of rows, so unlike the Java kernels a row's
 * result can change in the last bits with the batch around it.
 */
public final class NativeMatmul {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = F.length() == 16 ? ShortVector.SPECIES_256
            : F.length() == 8 ? ShortVector.SPECIES_128 : ShortVector.SPECIES_64;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final int FORWARD = 0, BACK_INPUT = 1, BACK_WEIGHT = 2, PEAK = 3;
    /** Below this many values a copy or conversion runs on the calling thread. */
    private static final int PARALLEL_COPY = 1 << 16;

    private static final Dnnl DNNL;
    private static final MemorySegment ENGINE;
    private static final String LOAD_ERROR;
    /** oneDNN's implementation names of the primitives created so far ("brg:avx512_core_bf16", ...), for reports. */
    private static final Set<String> IMPLEMENTATIONS = Collections.synchronizedSet(new TreeSet<>());

    static {
        Dnnl d = null;
        MemorySegment engine = null;
        String error = null;
        try {
            d = Dnnl.load();
            MemorySegment p = Arena.global().allocate(ValueLayout.ADDRESS);
            Dnnl.check((int) d.engineCreate.invokeExact(p, Dnnl.ENGINE_CPU, 0L), "dnnl_engine_create");
            engine = p.get(ValueLayout.ADDRESS, 0);
        } catch (Throwable e) {
            error = e.getMessage();
            d = null;
        }
        DNNL = d;
        ENGINE = engine;
        LOAD_ERROR = error;
    }

    private NativeMatmul() {}

    /** Whether libdnnl.so.2 was found and a CPU engine created. */
    public static boolean available() {
        return DNNL != null;
    }

    /** Why the library could not be used (null when it can). */
    public static String loadError() {
        return LOAD_ERROR;
    }

    /** Weights oneDNN 2.x multiplies on the CPU: F32 and BF16 (F16 stays on the Java kernels). */
    static boolean supports(Mat w) {
        return w.dtype == DType.F32 || w.dtype == DType.BF16;
    }

    /** The instruction set oneDNN dispatches to on this CPU (dnnl_get_effective_cpu_isa), e.g. avx512_core_bf16. */
    public static String isa() {
        if (DNNL == null) return null;
        try {
            return Dnnl.isaName((int) DNNL.effectiveCpuIsa.invokeExact());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** "oneDNN 2.6.3 (OpenMP)": the library's own version and threading runtime. */
    public static String version() {
        if (DNNL == null) return null;
        try {
            MemorySegment v = ((MemorySegment) DNNL.version.invokeExact()).reinterpret(32);
            int runtime = v.get(ValueLayout.JAVA_INT, 24);
            String rt = runtime == Dnnl.RUNTIME_OMP ? "OpenMP" : runtime == Dnnl.RUNTIME_TBB ? "TBB" : runtime == Dnnl.RUNTIME_SEQ ? "sequential" : "runtime " + runtime;
            return "oneDNN " + v.get(ValueLayout.JAVA_INT, 0) + "." + v.get(ValueLayout.JAVA_INT, 4) + "." + v.get(ValueLayout.JAVA_INT, 8) + " (" + rt + ")";
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The implementations oneDNN chose for the primitives created so far, e.g. [brg:avx512_core_bf16, gemm:jit]. */
    public static List<String> implementations() {
        synchronized (IMPLEMENTATIONS) {
            return List.copyOf(IMPLEMENTATIONS);
        }
    }

    /** out[t, r] (+)= Σ_c x[t, c] · w[r, c]: {@link Kernels#matmul} without the bias. */
    static void matmul(float[] out, int outOff, float[] x, int xOff, int n, Mat w, boolean accumulate) {
        final int k = w.cols, m = w.rows;
        if (n == 0) return;
        Ctx ctx = CTX.get();
        int dt = w.dtype == DType.BF16 ? Dnnl.DT_BF16 : Dnnl.DT_F32;
        int rows = dt == Dnnl.DT_BF16 ? 2 * n : n; // BF16: the hi rows, then the lo rows
        // outᵀ [m, rows] = W [m, k] · xᵀ [k, rows]: the weights as the left operand, read in place in their
        // row-major layout (as the right operand, oneDNN re-lays every weight into its blocked BF16 format per call),
        // and the activation rows as the operand it copies
        Prim p = ctx.prim(new Key(FORWARD, m, k, rows, dt), () -> create(ctx, m, k, rows, dt, Dnnl.TAG_AB, dt, Dnnl.TAG_BA));
        MemorySegment src = ctx.buffer(0, (long) n * k * 4);
        copyIn(x, xOff, n * k, src, dt);
        MemorySegment dst = ctx.buffer(2, (long) rows * m * 4);
        p.run(ctx, weights(ctx, w), src, dst);
        copyOutTransposed(dst, out, outOff, n, m, dt == Dnnl.DT_BF16, accumulate);
    }

    /** dx[t, c] (+)= Σ_r dy[t, r] · w[r, c]: {@link Kernels#matmulBackwardInput}. */
    static void backwardInput(float[] dx, float[] dy, int n, Mat w, boolean accumulate) {
        final int k = w.cols, m = w.rows;
        if (n == 0) return;
        Ctx ctx = CTX.get();
        int dt = w.dtype == DType.BF16 ? Dnnl.DT_BF16 : Dnnl.DT_F32;
        int rows = dt == Dnnl.DT_BF16 ? 2 * n : n;
        Prim p = ctx.prim(new Key(BACK_INPUT, rows, m, k, dt), () -> create(ctx, rows, m, k, dt, Dnnl.TAG_AB, dt, Dnnl.TAG_AB));
        MemorySegment src = ctx.buffer(0, (long) n * m * 4);
        copyIn(dy, 0, n * m, src, dt);
        MemorySegment dst = ctx.buffer(2, (long) rows * k * 4);
        p.run(ctx, src, weights(ctx, w), dst);
        copyOut(dst, dx, 0, n * k, dt == Dnnl.DT_BF16, accumulate);
    }

    /** dw[r, c] += Σ_t dy[t, r] · x[t, c] in F32: {@link Kernels#matmulBackwardWeight}. */
    static void backwardWeight(float[] dw, float[] dy, float[] x, int n, int m, int k) {
        if (n == 0) return;
        Ctx ctx = CTX.get();
        // A = dyᵀ: dims [m, n] over dy's row-major [n, m] (tag ba); B = x [n, k]
        Prim p = ctx.prim(new Key(BACK_WEIGHT, m, n, k, Dnnl.DT_F32),
                () -> create(ctx, m, n, k, Dnnl.DT_F32, Dnnl.TAG_BA, Dnnl.DT_F32, Dnnl.TAG_AB));
        MemorySegment a = ctx.buffer(0, (long) n * m * 4), b = ctx.buffer(1, (long) n * k * 4);
        copyIn(dy, 0, n * m, a, Dnnl.DT_F32);
        copyIn(x, 0, n * k, b, Dnnl.DT_F32);
        MemorySegment dst = ctx.buffer(2, (long) m * k * 4);
        p.run(ctx, a, b, dst);
        copyOut(dst, dw, 0, m * k, false, true);
    }

    /**
     * The CPU's BF16 dot-product peak as oneDNN reaches it, in GFLOP/s (a multiply-add is 2 flops): the best of
     * {@code repeats} timed [n, n] x [n, n] products with both operands BF16 and F32 results, the kind of product
     * torch runs for a BF16 model (AVX512-BF16's vdpbf16ps, or AMX tiles, whichever oneDNN picks), on steerscope's
     * thread count. The bench's second roofline for the BF16 rows, beside the Vector API's F32 FMA peak.
     */
    public static double bf16PeakGflops(int n, int repeats) {
        if (!available()) throw new IllegalStateException("oneDNN is not loaded: " + loadError());
        Ctx ctx = CTX.get();
        Prim p = ctx.prim(new Key(PEAK, n, n, n, Dnnl.DT_BF16), () -> create(ctx, n, n, n, Dnnl.DT_BF16, Dnnl.TAG_AB, Dnnl.DT_BF16, Dnnl.TAG_BA));
        MemorySegment a = Arena.ofAuto().allocate(2L * n * n, 64), b = Arena.ofAuto().allocate(2L * n * n, 64);
        MemorySegment c = Arena.ofAuto().allocate(4L * n * n, 64);
        a.fill((byte) 0x3c); // every BF16 element 0x3c3c (about 0.0115): finite products, no denormals
        b.fill((byte) 0x3c);
        p.run(ctx, a, b, c); // the first call pays for oneDNN's kernel generation
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            p.run(ctx, a, b, c);
            best = Math.max(best, 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e9);
        }
        // a peak is only a peak of the right product: every element is n times the square of 0x3c3c's value
        float v = Float.intBitsToFloat(0x3c3c0000), want = n * v * v;
        for (long i : new long[] {0, (long) n * n - 1}) {
            float got = c.get(FLOAT, 4 * i);
            if (!(Math.abs(got - want) <= 1e-3f * want)) throw new IllegalStateException("oneDNN's BF16 product gave " + got + ", expected " + want);
        }
        return best;
    }

    /** The weights' address: the mapping itself, or for heap F32 weights a native copy. */
    private static MemorySegment weights(Ctx ctx, Mat w) {
        if (!w.isHeap()) return w.segment();
        MemorySegment seg = ctx.buffer(1, w.bytes());
        copyIn(w.array(), 0, w.rows * w.cols, seg, Dnnl.DT_F32);
        return seg;
    }

    // ------------------------------------------------------------------------------------ primitives

    private record Key(int kind, int rows, int inner, int cols, int dtype) {}

    /**
     * A matmul primitive for one shape, the three memory objects (no buffer of their own) it runs on, and its
     * scratchpad (owned here: in oneDNN's default mode it allocates one per execution).
     */
    private record Prim(MemorySegment primitive, MemorySegment src, MemorySegment weights, MemorySegment dst, MemorySegment scratchpad,
                        MemorySegment scratchpadBuffer) {
        void run(Ctx ctx, MemorySegment a, MemorySegment b, MemorySegment c) {
            try {
                ctx.threads();
                Dnnl.check((int) DNNL.memorySetDataHandle.invokeExact(src, a), "dnnl_memory_set_data_handle");
                Dnnl.check((int) DNNL.memorySetDataHandle.invokeExact(weights, b), "dnnl_memory_set_data_handle");
                Dnnl.check((int) DNNL.memorySetDataHandle.invokeExact(dst, c), "dnnl_memory_set_data_handle");
                ctx.args.setAtIndex(ValueLayout.ADDRESS, 1, src);
                ctx.args.setAtIndex(ValueLayout.ADDRESS, 3, weights);
                ctx.args.setAtIndex(ValueLayout.ADDRESS, 5, dst);
                ctx.args.setAtIndex(ValueLayout.ADDRESS, 7, scratchpad);
                Dnnl.check((int) DNNL.primitiveExecute.invokeExact(primitive, ctx.stream, 4, ctx.args), "dnnl_primitive_execute");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** C[rows, cols] = A[rows, inner] · B[inner, cols] with A and B in the given data types and format tags, C in F32 (row-major). */
    private static Prim create(Ctx ctx, int rows, int inner, int cols, int aType, int aTag, int bType, int bTag) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment aMd = memoryDesc(arena, rows, inner, aType, aTag);
            MemorySegment bMd = memoryDesc(arena, inner, cols, bType, bTag);
            MemorySegment cMd = memoryDesc(arena, rows, cols, Dnnl.DT_F32, Dnnl.TAG_AB);
            MemorySegment desc = arena.allocate(Dnnl.MATMUL_DESC_BYTES, 64);
            Dnnl.check((int) DNNL.matmulDescInit.invokeExact(desc, aMd, bMd, MemorySegment.NULL, cMd), "dnnl_matmul_desc_init");
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Dnnl.check((int) DNNL.attrCreate.invokeExact(out), "dnnl_primitive_attr_create");
            MemorySegment attr = out.get(ValueLayout.ADDRESS, 0);
            Dnnl.check((int) DNNL.attrSetScratchpadMode.invokeExact(attr, Dnnl.SCRATCHPAD_MODE_USER), "dnnl_primitive_attr_set_scratchpad_mode");
            ctx.threads(); // oneDNN partitions the work for the thread count it sees at creation
            Dnnl.check((int) DNNL.primitiveDescCreate.invokeExact(out, desc, attr, ENGINE, MemorySegment.NULL),
                    "dnnl_primitive_desc_create (matmul " + rows + "x" + inner + "x" + cols + ")");
            MemorySegment pd = out.get(ValueLayout.ADDRESS, 0);
            Dnnl.check((int) DNNL.primitiveDescQuery.invokeExact(pd, Dnnl.QUERY_IMPL_INFO_STR, 0, out), "dnnl_primitive_desc_query");
            IMPLEMENTATIONS.add(out.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0));
            MemorySegment padMd = (MemorySegment) DNNL.primitiveDescQueryMd.invokeExact(pd, Dnnl.QUERY_SCRATCHPAD_MD, 0);
            long padBytes = (long) DNNL.memoryDescGetSize.invokeExact(padMd);
            MemorySegment pad = memory(arena, padMd);
            MemorySegment padBuffer = Arena.ofAuto().allocate(Math.max(64, padBytes), 64); // alive as long as the Prim
            Dnnl.check((int) DNNL.memorySetDataHandle.invokeExact(pad, padBuffer), "dnnl_memory_set_data_handle");
            Dnnl.check((int) DNNL.primitiveCreate.invokeExact(out, pd), "dnnl_primitive_create");
            MemorySegment primitive = out.get(ValueLayout.ADDRESS, 0);
            Dnnl.check((int) DNNL.primitiveDescDestroy.invokeExact(pd), "dnnl_primitive_desc_destroy");
            return new Prim(primitive, memory(arena, aMd), memory(arena, bMd), memory(arena, cMd), pad, padBuffer);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment memoryDesc(Arena arena, long d0, long d1, int dtype, int tag) throws Throwable {
        MemorySegment md = arena.allocate(Dnnl.MEMORY_DESC_BYTES, 64);
        Dnnl.check((int) DNNL.memoryDescInitByTag.invokeExact(md, 2, Dnnl.dims(arena, d0, d1), dtype, tag), "dnnl_memory_desc_init_by_tag");
        return md;
    }

    /** A memory object over md (copied by oneDNN) with no buffer yet (DNNL_MEMORY_NONE). */
    private static MemorySegment memory(Arena arena, MemorySegment md) throws Throwable {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        Dnnl.check((int) DNNL.memoryCreate.invokeExact(out, md, ENGINE, MemorySegment.NULL), "dnnl_memory_create");
        return out.get(ValueLayout.ADDRESS, 0);
    }

    // ------------------------------------------------------------------------------------ per-thread state

    private static final ThreadLocal<Ctx> CTX = ThreadLocal.withInitial(Ctx::new);

    /** A thread's stream, primitives and native buffers (never freed: threads are few and long-lived). */
    private static final class Ctx {
        final MemorySegment stream;
        /** Four dnnl_exec_arg_t {int arg; dnnl_memory_t memory}: SRC, WEIGHTS, DST, SCRATCHPAD. */
        final MemorySegment args = Arena.global().allocate(64, 16);
        final Map<Key, Prim> prims = new HashMap<>();
        final MemorySegment[] buffers = new MemorySegment[3];
        int ompThreads = -1;

        Ctx() {
            try {
                MemorySegment p = Arena.global().allocate(ValueLayout.ADDRESS);
                Dnnl.check((int) DNNL.streamCreate.invokeExact(p, ENGINE, Dnnl.STREAM_DEFAULT_FLAGS), "dnnl_stream_create");
                stream = p.get(ValueLayout.ADDRESS, 0);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
            args.set(ValueLayout.JAVA_INT, 0, Dnnl.ARG_SRC);
            args.set(ValueLayout.JAVA_INT, 16, Dnnl.ARG_WEIGHTS);
            args.set(ValueLayout.JAVA_INT, 32, Dnnl.ARG_DST);
            args.set(ValueLayout.JAVA_INT, 48, Dnnl.ARG_SCRATCHPAD);
        }

        Prim prim(Key key, Supplier<Prim> create) {
            Prim p = prims.get(key);
            if (p == null) prims.put(key, p = create.get());
            return p;
        }

        /** Native buffer i of at least bytes, 64-byte aligned, grown (never shrunk) as needed. */
        MemorySegment buffer(int i, long bytes) {
            MemorySegment b = buffers[i];
            if (b == null || b.byteSize() < bytes) buffers[i] = b = Arena.ofAuto().allocate(Math.max(bytes, 64), 64);
            return b;
        }

        /**
         * OpenMP threads for this calling thread's next primitives: steerscope's thread count. libgomp keeps the
         * setting per calling thread, so each thread sets it once (and again after {@link Parallel#setThreads}).
         */
        void threads() throws Throwable {
            int want = Parallel.threads();
            if (want != ompThreads && DNNL.ompSetNumThreads != null) {
                DNNL.ompSetNumThreads.invokeExact(want);
                ompThreads = want;
            }
        }
    }

    /** OpenMP's thread count for the calling thread (what oneDNN will use), or -1 without OpenMP. */
    public static int ompMaxThreads() {
        if (DNNL == null || DNNL.ompGetMaxThreads == null) return -1;
        try {
            CTX.get().threads();
            return (int) DNNL.ompGetMaxThreads.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------ copies

    /**
     * count floats of x from off into dst: as F32, or (BF16) as count hi values bf16(x) followed by count lo values
     * bf16(x − hi), both rounded to nearest even like {@link DType#floatToBf16} (lo is 0 where x is not finite).
     */
    static void copyIn(float[] x, int off, int count, MemorySegment dst, int dtype) {
        if (dtype == Dnnl.DT_F32) {
            Parallel.forRange(count, PARALLEL_COPY, (i0, i1) -> MemorySegment.copy(x, off + i0, dst, FLOAT, 4L * i0, i1 - i0));
            return;
        }
        long loBase = 2L * count;
        Parallel.forRange(count, PARALLEL_COPY, (i0, i1) -> {
            int i = i0, bound = i0 + I.loopBound(i1 - i0);
            for (; i < bound; i += I.length()) {
                FloatVector v = FloatVector.fromArray(F, x, off + i);
                IntVector hi = bf16Bits(v.reinterpretAsInts());
                FloatVector rest = v.sub(hi.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
                IntVector lo = bf16Bits(rest.reinterpretAsInts()).blend(0, v.test(VectorOperators.IS_FINITE).not().cast(I));
                ((ShortVector) hi.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, 2L * i, ByteOrder.LITTLE_ENDIAN);
                ((ShortVector) lo.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, loBase + 2L * i, ByteOrder.LITTLE_ENDIAN);
            }
            for (; i < i1; i++) {
                float v = x[off + i];
                short hi = DType.floatToBf16(v);
                dst.setAtIndex(SHORT_LE, i, hi);
                dst.setAtIndex(SHORT_LE, count + i, Float.isFinite(v) ? DType.floatToBf16(v - DType.bf16ToFloat(hi)) : 0);
            }
        });
    }

    /** The BF16 bits (in the low 16 bits of each lane) of F32 bits: round to nearest even, NaN kept NaN. */
    private static IntVector bf16Bits(IntVector bits) {
        IntVector top = bits.lanewise(VectorOperators.LSHR, 16);
        IntVector rounded = bits.add(top.and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16);
        VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
        return rounded.blend(top.or(0x40), nan);
    }

    /**
     * out[off + t·m + r] (+)= c[r, t] (split: + c[r, n + t]) for c = [m, cols] row-major with cols = n or 2n: the
     * transpose of the weights-first product, 16 rows of c at a time so that its reads stay sequential.
     */
    private static void copyOutTransposed(MemorySegment c, float[] out, int off, int n, int m, boolean split, boolean accumulate) {
        final int cols = split ? 2 * n : n, block = 16;
        int grain = Math.max(1, PARALLEL_COPY / (block * n));
        Parallel.forRange((m + block - 1) / block, grain, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int r0 = b * block, r1 = Math.min(m, r0 + block);
                for (int t = 0; t < n; t++) {
                    int o = off + t * m;
                    for (int r = r0; r < r1; r++) {
                        long at = (long) r * cols + t;
                        float v = c.getAtIndex(FLOAT, at);
                        if (split) v += c.getAtIndex(FLOAT, at + n);
                        out[o + r] = accumulate ? v + out[o + r] : v;
                    }
                }
            }
        });
    }

    /** count F32 values of src (split: plus the count values after them) into out from off, or added to it. */
    private static void copyOut(MemorySegment src, float[] out, int off, int count, boolean split, boolean accumulate) {
        if (!accumulate && !split) {
            Parallel.forRange(count, PARALLEL_COPY, (i0, i1) -> MemorySegment.copy(src, FLOAT, 4L * i0, out, off + i0, i1 - i0));
            return;
        }
        long loBase = 4L * count;
        Parallel.forRange(count, PARALLEL_COPY, (i0, i1) -> {
            int i = i0, bound = i0 + F.loopBound(i1 - i0);
            for (; i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromMemorySegment(F, src, 4L * i, ByteOrder.nativeOrder());
                if (split) v = v.add(FloatVector.fromMemorySegment(F, src, loBase + 4L * i, ByteOrder.nativeOrder()));
                if (accumulate) v = v.add(FloatVector.fromArray(F, out, off + i));
                v.intoArray(out, off + i);
            }
            for (; i < i1; i++) {
                float v = src.getAtIndex(FLOAT, i);
                if (split) v += src.getAtIndex(FLOAT, count + i);
                out[off + i] = accumulate ? v + out[off + i] : v;
            }
        });
    }
}
