package steerscope.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The numeric kernels, on the Vector API. All activations are row-major F32 arrays; weights are {@link Mat}s.
 * {@link #matmul} computes out = X · Wᵀ (the layout of a Hugging Face Linear layer); {@link #matmulBackwardInput}
 * and {@link #matmulBackwardWeight} are its two gradients, read from the same row-major W (no transposed copies).
 */
public final class Kernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Weight rows converted to F32 together, and tokens per register tile: a 4 x 4 tile of accumulators. */
    private static final int RB = 4, TB = 4;
    /**
     * Floats of x a matmul keeps hot per token chunk: 1 MiB, half of a 2 MiB L2 (fewer chunks convert the BF16
     * weights fewer times; measured in docs/performance.md, item 3 of its optimisation list).
     */
    private static final int X_CHUNK_FLOATS = 256 * 1024;
    /** Fewest multiply-adds worth a task of their own (tuned with the bench on the small model's decode against larger and smaller grains). */
    private static final int MIN_TASK_MACS = 1 << 15;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[32]);

    /** Rotations by 8, 4, 2 and 1 lanes (mod L): the steps of the fixed-order horizontal sum {@link #hsum}. */
    private static final VectorShuffle<Float> R8 = rotation(8), R4 = rotation(4), R2 = rotation(2), R1 = rotation(1);
    /** For {@link #reduce16}: rotations by -8, -4, -2, -1 lanes, and masks of the lanes whose (lane / w) is odd. */
    private static final VectorShuffle<Float> N8 = rotation(-8), N4 = rotation(-4), N2 = rotation(-2), N1 = rotation(-1);
    private static final VectorMask<Float> M8 = oddBlocks(8), M4 = oddBlocks(4), M2 = oddBlocks(2), M1 = oddBlocks(1);
    /** REDUCED_LANE[j]: the lane of {@link #reduce16}'s result that holds the sum of its argument j. */
    private static final int[] REDUCED_LANE = reducedLanes();

    private Kernels() {}

    private static VectorShuffle<Float> rotation(int shift) {
        return VectorShuffle.fromOp(F, lane -> Math.floorMod(lane + shift, L));
    }

    private static VectorMask<Float> oddBlocks(int w) {
        boolean[] m = new boolean[L];
        for (int i = 0; i < L; i++) m[i] = (i / w) % 2 == 1;
        return VectorMask.fromArray(F, m, 0);
    }

    /**
     * Sum of the lanes in a fixed order: lane i + lane i+8, then + i+4, + i+2, + i+1 (a tree).
     * {@code reduceLanes(ADD)} leaves the order open, and the interpreter and the JIT do differ, which would make a
     * run depend on when a loop got compiled; a resumed run must equal an uninterrupted one bit for bit. Written
     * straight, with constant shuffles, so the JIT inlines it and keeps the vector in registers.
     */
    static float hsum(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(R8));
        if (L >= 8) v = v.add(v.rearrange(R4));
        if (L >= 4) v = v.add(v.rearrange(R2));
        v = v.add(v.rearrange(R1));
        return v.lane(0);
    }

    /**
     * The sums of 16 vectors of 16 lanes at once, each in exactly the order of {@link #hsum} (so a tile's outputs
     * equal the one-row path's, bit for bit), in one vector: sum j is in lane {@link #REDUCED_LANE}[j]. A transpose
     * by halves: each step pairs two vectors, takes the low half-block of every block from one and the high from
     * the other, and adds; 15 such steps instead of 16 separate horizontal sums. Only for L == 16.
     */
    static FloatVector reduce16(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, FloatVector a4, FloatVector a5,
                                FloatVector a6, FloatVector a7, FloatVector a8, FloatVector a9, FloatVector a10, FloatVector a11,
                                FloatVector a12, FloatVector a13, FloatVector a14, FloatVector a15) {
        FloatVector b0 = pair(a0, a1, R8, N8, M8), b1 = pair(a2, a3, R8, N8, M8), b2 = pair(a4, a5, R8, N8, M8), b3 = pair(a6, a7, R8, N8, M8);
        FloatVector b4 = pair(a8, a9, R8, N8, M8), b5 = pair(a10, a11, R8, N8, M8), b6 = pair(a12, a13, R8, N8, M8), b7 = pair(a14, a15, R8, N8, M8);
        FloatVector c0 = pair(b0, b1, R4, N4, M4), c1 = pair(b2, b3, R4, N4, M4), c2 = pair(b4, b5, R4, N4, M4), c3 = pair(b6, b7, R4, N4, M4);
        FloatVector d0 = pair(c0, c1, R2, N2, M2), d1 = pair(c2, c3, R2, N2, M2);
        return pair(d0, d1, R1, N1, M1);
    }

    /**
     * c and d hold blocks of 2w partial sums; returns blocks of w: block 2g = c's block g folded (lane j + lane j+w),
     * block 2g+1 = d's block g folded.
     */
    private static FloatVector pair(FloatVector c, FloatVector d, VectorShuffle<Float> rot, VectorShuffle<Float> back, VectorMask<Float> odd) {
        FloatVector lo = c.blend(d.rearrange(back), odd);
        FloatVector hi = c.rearrange(rot).blend(d, odd);
        return lo.add(hi);
    }

    private static int[] reducedLanes() {
        int[] lane = new int[16];
        if (L != 16) return lane;
        FloatVector[] a = new FloatVector[16];
        for (int j = 0; j < 16; j++) a[j] = FloatVector.broadcast(F, j);
        float[] out = reduce16(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]).toArray();
        for (int i = 0; i < 16; i++) lane[(int) out[i] / 16] = i;
        return lane;
    }

    static float[] scratch(int n) {
        float[] b = SCRATCH.get();
        if (b.length < n) {
            b = new float[n];
            SCRATCH.set(b);
        }
        return b;
    }

    /**
     * out[t, r] (+)= Σ_c x[t, c] · w[r, c] + bias[r], for t in [0, n), r in [0, w.rows).
     * x is [n, w.cols] from xOff; out is [n, w.rows] from outOff. Split over blocks of weight rows, so each
     * weight row is read (and converted from BF16) once per call whatever n is.
     */
    public static void matmul(float[] out, int outOff, float[] x, int xOff, int n, Mat w, float[] bias, boolean accumulate) {
        final int m = w.rows;
        if (Backend.nativeFor(w, n)) {
            NativeMatmul.matmul(out, outOff, x, xOff, n, w, accumulate);
        } else if (n < TB && w.dtype == DType.BF16 && !w.isHeap()) {
            // fewer tokens than a tile: converting rows into a buffer would cost as much as using them
            matvecBf16(out, outOff, x, xOff, n, w, accumulate);
        } else {
            tiled(out, outOff, x, xOff, n, w, accumulate);
        }
        if (bias != null) {
            for (int t = 0; t < n; t++) add(out, outOff + t * m, bias, 0, m);
        }
    }

    /** {@link #matmul} for F32 weights and for 4 tokens or more: 4 x 4 register tiles over blocks of 4 rows. */
    private static void tiled(float[] out, int outOff, float[] x, int xOff, int n, Mat w, boolean accumulate) {
        final int k = w.cols, m = w.rows;
        int blocks = (m + RB - 1) / RB;
        // Tokens in chunks whose x rows stay in L2 while every weight row passes over them; within a chunk each
        // weight row is read (and converted from BF16) once. A multiple of TB, so only the last chunk has a tail.
        int chunk = Math.max(TB, Math.min(256, (X_CHUNK_FLOATS / k) / TB * TB));
        final float[] heap = w.array();
        for (int c0 = 0; c0 < n; c0 += chunk) {
            final int t0 = c0, t1 = Math.min(n, c0 + chunk);
            // at least ~32k multiply-adds per task: below that, handing work to another thread (about 0.3 µs with the
            // pool's spinning workers) costs more than it saves; a small model's decode step is dozens of such products
            int grain = Math.max(1, MIN_TASK_MACS / (RB * k * (t1 - t0)));
            Parallel.forRange(blocks, grain, (b0, b1) -> {
                float[] buf = scratch(RB * k), sums = TILE.get();
                for (int rb = b0; rb < b1; rb++) {
                    int r0 = rb * RB, nr = Math.min(RB, m - r0);
                    // F32 on the heap (weights being trained) is read in place; anything else is converted into buf
                    float[] src = heap != null ? heap : buf;
                    int so = heap != null ? r0 * k : 0;
                    if (heap == null) w.loadRows(r0, nr, buf, 0);
                    int t = t0;
                    if (nr == RB) {
                        for (; t + TB <= t1; t += TB) tile4x4(src, so, k, x, xOff + t * k, out, outOff + t * m + r0, m, accumulate, sums);
                        for (; t < t1; t++) rows4(src, so, k, x, xOff + t * k, out, outOff + t * m + r0, accumulate);
                    }
                    for (; t < t1; t++) {
                        for (int r = 0; r < nr; r++) {
                            float s = dot(src, so + r * k, x, xOff + t * k, k);
                            int o = outOff + t * m + r0 + r;
                            out[o] = accumulate ? out[o] + s : s;
                        }
                    }
                }
            });
        }
    }

    public static void matmul(float[] out, float[] x, int n, Mat w, float[] bias) {
        matmul(out, 0, x, 0, n, w, bias, false);
    }

    /** A 4 x 4 register tile: 4 weight rows (in buf) against 4 consecutive token rows of x. */
    private static void tile4x4(float[] buf, int bo, int k, float[] x, int xo, float[] out, int oo, int ldo, boolean acc, float[] s) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(k);
        for (; i < bound; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, buf, bo + i);
            FloatVector w1 = FloatVector.fromArray(F, buf, bo + k + i);
            FloatVector w2 = FloatVector.fromArray(F, buf, bo + 2 * k + i);
            FloatVector w3 = FloatVector.fromArray(F, buf, bo + 3 * k + i);
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a00 = w0.fma(x0, a00); a01 = w1.fma(x0, a01); a02 = w2.fma(x0, a02); a03 = w3.fma(x0, a03);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + k + i);
            a10 = w0.fma(x1, a10); a11 = w1.fma(x1, a11); a12 = w2.fma(x1, a12); a13 = w3.fma(x1, a13);
            FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * k + i);
            a20 = w0.fma(x2, a20); a21 = w1.fma(x2, a21); a22 = w2.fma(x2, a22); a23 = w3.fma(x2, a23);
            FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * k + i);
            a30 = w0.fma(x3, a30); a31 = w1.fma(x3, a31); a32 = w2.fma(x3, a32); a33 = w3.fma(x3, a33);
        }
        if (L == 16) {
            // reduce16, written out here: a vector passed to a call the JIT does not inline is boxed on the heap
            FloatVector b0 = a00.blend(a01.rearrange(N8), M8).add(a00.rearrange(R8).blend(a01, M8));
            FloatVector b1 = a02.blend(a03.rearrange(N8), M8).add(a02.rearrange(R8).blend(a03, M8));
            FloatVector b2 = a10.blend(a11.rearrange(N8), M8).add(a10.rearrange(R8).blend(a11, M8));
            FloatVector b3 = a12.blend(a13.rearrange(N8), M8).add(a12.rearrange(R8).blend(a13, M8));
            FloatVector b4 = a20.blend(a21.rearrange(N8), M8).add(a20.rearrange(R8).blend(a21, M8));
            FloatVector b5 = a22.blend(a23.rearrange(N8), M8).add(a22.rearrange(R8).blend(a23, M8));
            FloatVector b6 = a30.blend(a31.rearrange(N8), M8).add(a30.rearrange(R8).blend(a31, M8));
            FloatVector b7 = a32.blend(a33.rearrange(N8), M8).add(a32.rearrange(R8).blend(a33, M8));
            FloatVector c0 = b0.blend(b1.rearrange(N4), M4).add(b0.rearrange(R4).blend(b1, M4));
            FloatVector c1 = b2.blend(b3.rearrange(N4), M4).add(b2.rearrange(R4).blend(b3, M4));
            FloatVector c2 = b4.blend(b5.rearrange(N4), M4).add(b4.rearrange(R4).blend(b5, M4));
            FloatVector c3 = b6.blend(b7.rearrange(N4), M4).add(b6.rearrange(R4).blend(b7, M4));
            FloatVector d0 = c0.blend(c1.rearrange(N2), M2).add(c0.rearrange(R2).blend(c1, M2));
            FloatVector d1 = c2.blend(c3.rearrange(N2), M2).add(c2.rearrange(R2).blend(c3, M2));
            FloatVector e = d0.blend(d1.rearrange(N1), M1).add(d0.rearrange(R1).blend(d1, M1));
            e.intoArray(s, 16);
            for (int j = 0; j < 16; j++) s[j] = s[16 + REDUCED_LANE[j]];
        } else {
            s[0] = hsum(a00); s[1] = hsum(a01); s[2] = hsum(a02); s[3] = hsum(a03);
            s[4] = hsum(a10); s[5] = hsum(a11); s[6] = hsum(a12); s[7] = hsum(a13);
            s[8] = hsum(a20); s[9] = hsum(a21); s[10] = hsum(a22); s[11] = hsum(a23);
            s[12] = hsum(a30); s[13] = hsum(a31); s[14] = hsum(a32); s[15] = hsum(a33);
        }
        for (; i < k; i++) {
            for (int t = 0; t < 4; t++) {
                float xv = x[xo + t * k + i];
                for (int r = 0; r < 4; r++) s[t * 4 + r] += buf[bo + r * k + i] * xv;
            }
        }
        for (int t = 0; t < 4; t++) {
            for (int r = 0; r < 4; r++) {
                int o = oo + t * ldo + r;
                out[o] = acc ? out[o] + s[t * 4 + r] : s[t * 4 + r];
            }
        }
    }

    /** 4 weight rows (in buf) against one token: each row's sum in exactly {@link #dot}'s order. */
    private static void rows4(float[] buf, int bo, int k, float[] x, int xo, float[] out, int oo, boolean acc) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(k);
        for (; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromArray(F, buf, bo + i).fma(xv, a0);
            a1 = FloatVector.fromArray(F, buf, bo + k + i).fma(xv, a1);
            a2 = FloatVector.fromArray(F, buf, bo + 2 * k + i).fma(xv, a2);
            a3 = FloatVector.fromArray(F, buf, bo + 3 * k + i).fma(xv, a3);
        }
        float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
        for (; i < k; i++) {
            float xv = x[xo + i];
            s0 += buf[bo + i] * xv;
            s1 += buf[bo + k + i] * xv;
            s2 += buf[bo + 2 * k + i] * xv;
            s3 += buf[bo + 3 * k + i] * xv;
        }
        store4(out, oo, acc, s0, s1, s2, s3);
    }

    /**
     * The decode matvec on a mapped BF16 matrix, for n < 4 tokens: out[t, r] (+)= Σ_c x[t, c] · w[r, c], each row's
     * sum in exactly {@link #dot}'s order (so a row gives the same bits alone as in a batch). Rows are taken four at
     * a time from the four quarters of the matrix, q, q + Q, q + 2Q, q + 3Q (Q = rows / 4): each of the four then
     * streams through memory for the whole task instead of ending after one short row (short rows read faster so:
     * docs/performance.md, "Decode matvec streams").
     */
    private static void matvecBf16(float[] out, int outOff, float[] x, int xOff, int n, Mat w, boolean accumulate) {
        final int k = w.cols, m = w.rows, q = m / 4;
        int grain = Math.max(1, MIN_TASK_MACS / (4 * k * n));
        Parallel.forRange(q, grain, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                for (int t = 0; t < n; t++) rows4Bf16(w, b, b + q, b + 2 * q, b + 3 * q, k, x, xOff + t * k, out, outOff + t * m, accumulate);
            }
        });
        float[] row = new float[k];
        for (int r = 4 * q; r < m; r++) { // the last m % 4 rows
            w.loadRow(r, row, 0);
            for (int t = 0; t < n; t++) {
                float s = dot(row, 0, x, xOff + t * k, k);
                int o = outOff + t * m + r;
                out[o] = accumulate ? out[o] + s : s;
            }
        }
    }

    /** Rows r0..r3 of a mapped BF16 matrix against one token, read in place: {@link #matvecBf16}'s inner loop. */
    private static void rows4Bf16(Mat w, int r0, int r1, int r2, int r3, int k, float[] x, int xo, float[] out, int oo, boolean acc) {
        MemorySegment seg = w.segment();
        long b0 = 2L * r0 * k, b1 = 2L * r1 * k, b2 = 2L * r2 * k, b3 = 2L * r3 * k;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(k);
        for (; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + i);
            a0 = Mat.bf16(seg, b0 + 2L * i).fma(xv, a0);
            a1 = Mat.bf16(seg, b1 + 2L * i).fma(xv, a1);
            a2 = Mat.bf16(seg, b2 + 2L * i).fma(xv, a2);
            a3 = Mat.bf16(seg, b3 + 2L * i).fma(xv, a3);
        }
        float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
        for (; i < k; i++) {
            float xv = x[xo + i];
            s0 += w.get(r0, i) * xv;
            s1 += w.get(r1, i) * xv;
            s2 += w.get(r2, i) * xv;
            s3 += w.get(r3, i) * xv;
        }
        if (acc) {
            out[oo + r0] += s0; out[oo + r1] += s1; out[oo + r2] += s2; out[oo + r3] += s3;
        } else {
            out[oo + r0] = s0; out[oo + r1] = s1; out[oo + r2] = s2; out[oo + r3] = s3;
        }
    }

    private static void store4(float[] out, int o, boolean acc, float s0, float s1, float s2, float s3) {
        if (acc) {
            out[o] += s0; out[o + 1] += s1; out[o + 2] += s2; out[o + 3] += s3;
        } else {
            out[o] = s0; out[o + 1] = s1; out[o + 2] = s2; out[o + 3] = s3;
        }
    }

    /**
     * dx[t, c] (+)= Σ_r dy[t, r] · w[r, c]: the input gradient of out = x · wᵀ, straight from w's rows (BF16 stays
     * BF16: no transposed copy). Each thread owns columns of dx in chunks of 4 vectors; w is converted a block of
     * rows at a time (it stays in L1 while every token passes over it), and each dx value sums over r in order.
     */
    public static void matmulBackwardInput(float[] dx, float[] dy, int n, Mat w, boolean accumulate) {
        if (Backend.nativeFor(w, n)) {
            NativeMatmul.backwardInput(dx, dy, n, w, accumulate);
            return;
        }
        final int k = w.cols, cw = 4 * L;
        int tasks = (k + cw - 1) / cw;
        Parallel.forEach(tasks, ci -> {
            int c0 = ci * cw;
            if (c0 + cw <= k) backInputChunk(dx, dy, n, w, c0, accumulate);
            else backInputColumns(dx, dy, n, w, c0, k, accumulate);
        });
    }

    /** Rows of w per converted block in {@link #backInputChunk}: 128 x 64 floats = 32 KiB, inside L1. */
    private static final int BACK_ROWS = 128;

    private static void backInputChunk(float[] dx, float[] dy, int n, Mat w, int c0, boolean accumulate) {
        final int m = w.rows, k = w.cols, cw = 4 * L;
        // this chunk's columns of dx, packed [n][64]: the tiles below read and write them once per 128 rows of w,
        // and in place they lie k floats apart (a page apart for the MLP's widths: a TLB miss per token row)
        float[] dxP = PACK.get();
        if (dxP.length < n * cw) PACK.set(dxP = new float[n * cw]);
        for (int t = 0; t < n; t++) {
            if (accumulate) System.arraycopy(dx, t * k + c0, dxP, t * cw, cw);
            else Arrays.fill(dxP, t * cw, (t + 1) * cw, 0f);
        }
        float[] wb = scratch(BACK_ROWS * cw);
        for (int r0 = 0; r0 < m; r0 += BACK_ROWS) {
            int nr = Math.min(BACK_ROWS, m - r0);
            w.loadBlock(r0, nr, c0, cw, wb, 0);
            int t = 0;
            for (; t + 4 <= n; t += 4) backInputTile(dxP, dy, wb, t * cw, cw, t * m + r0, m, nr);
            for (; t < n; t++) backInputRow(dxP, dy, wb, t * cw, t * m + r0, nr);
        }
        for (int t = 0; t < n; t++) System.arraycopy(dxP, t * cw, dx, t * k + c0, cw);
    }

    private static final ThreadLocal<float[]> PACK = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * dx[4 tokens, 64 columns] += dy[4 tokens, nr rows] · wb[nr rows, 64 columns], r in order. A method of its own,
     * called once per tile: a loop this hot inside one long call is compiled on-stack, and after a deoptimisation it
     * ran for seconds in code where each vector operation was a heap object.
     */
    private static void backInputTile(float[] dx, float[] dy, float[] wb, int o0, int k, int d0, int m, int nr) {
        int o1 = o0 + k, o2 = o1 + k, o3 = o2 + k;
        FloatVector a00 = FloatVector.fromArray(F, dx, o0), a01 = FloatVector.fromArray(F, dx, o0 + L);
        FloatVector a02 = FloatVector.fromArray(F, dx, o0 + 2 * L), a03 = FloatVector.fromArray(F, dx, o0 + 3 * L);
        FloatVector a10 = FloatVector.fromArray(F, dx, o1), a11 = FloatVector.fromArray(F, dx, o1 + L);
        FloatVector a12 = FloatVector.fromArray(F, dx, o1 + 2 * L), a13 = FloatVector.fromArray(F, dx, o1 + 3 * L);
        FloatVector a20 = FloatVector.fromArray(F, dx, o2), a21 = FloatVector.fromArray(F, dx, o2 + L);
        FloatVector a22 = FloatVector.fromArray(F, dx, o2 + 2 * L), a23 = FloatVector.fromArray(F, dx, o2 + 3 * L);
        FloatVector a30 = FloatVector.fromArray(F, dx, o3), a31 = FloatVector.fromArray(F, dx, o3 + L);
        FloatVector a32 = FloatVector.fromArray(F, dx, o3 + 2 * L), a33 = FloatVector.fromArray(F, dx, o3 + 3 * L);
        int d1 = d0 + m, d2 = d1 + m, d3 = d2 + m, cw = 4 * L;
        for (int r = 0; r < nr; r++) {
            int wo = r * cw;
            FloatVector w0 = FloatVector.fromArray(F, wb, wo), w1 = FloatVector.fromArray(F, wb, wo + L);
            FloatVector w2 = FloatVector.fromArray(F, wb, wo + 2 * L), w3 = FloatVector.fromArray(F, wb, wo + 3 * L);
            FloatVector g = FloatVector.broadcast(F, dy[d0 + r]);
            a00 = w0.fma(g, a00); a01 = w1.fma(g, a01); a02 = w2.fma(g, a02); a03 = w3.fma(g, a03);
            g = FloatVector.broadcast(F, dy[d1 + r]);
            a10 = w0.fma(g, a10); a11 = w1.fma(g, a11); a12 = w2.fma(g, a12); a13 = w3.fma(g, a13);
            g = FloatVector.broadcast(F, dy[d2 + r]);
            a20 = w0.fma(g, a20); a21 = w1.fma(g, a21); a22 = w2.fma(g, a22); a23 = w3.fma(g, a23);
            g = FloatVector.broadcast(F, dy[d3 + r]);
            a30 = w0.fma(g, a30); a31 = w1.fma(g, a31); a32 = w2.fma(g, a32); a33 = w3.fma(g, a33);
        }
        a00.intoArray(dx, o0); a01.intoArray(dx, o0 + L); a02.intoArray(dx, o0 + 2 * L); a03.intoArray(dx, o0 + 3 * L);
        a10.intoArray(dx, o1); a11.intoArray(dx, o1 + L); a12.intoArray(dx, o1 + 2 * L); a13.intoArray(dx, o1 + 3 * L);
        a20.intoArray(dx, o2); a21.intoArray(dx, o2 + L); a22.intoArray(dx, o2 + 2 * L); a23.intoArray(dx, o2 + 3 * L);
        a30.intoArray(dx, o3); a31.intoArray(dx, o3 + L); a32.intoArray(dx, o3 + 2 * L); a33.intoArray(dx, o3 + 3 * L);
    }

    /** {@link #backInputTile} for one token. */
    private static void backInputRow(float[] dx, float[] dy, float[] wb, int o, int d, int nr) {
        FloatVector a0 = FloatVector.fromArray(F, dx, o), a1 = FloatVector.fromArray(F, dx, o + L);
        FloatVector a2 = FloatVector.fromArray(F, dx, o + 2 * L), a3 = FloatVector.fromArray(F, dx, o + 3 * L);
        int cw = 4 * L;
        for (int r = 0; r < nr; r++) {
            int wo = r * cw;
            FloatVector g = FloatVector.broadcast(F, dy[d + r]);
            a0 = FloatVector.fromArray(F, wb, wo).fma(g, a0);
            a1 = FloatVector.fromArray(F, wb, wo + L).fma(g, a1);
            a2 = FloatVector.fromArray(F, wb, wo + 2 * L).fma(g, a2);
            a3 = FloatVector.fromArray(F, wb, wo + 3 * L).fma(g, a3);
        }
        a0.intoArray(dx, o); a1.intoArray(dx, o + L); a2.intoArray(dx, o + 2 * L); a3.intoArray(dx, o + 3 * L);
    }

    /** The last columns [c0, k) when k is not a multiple of 4 vectors: one column at a time, r in order. */
    private static void backInputColumns(float[] dx, float[] dy, int n, Mat w, int c0, int k, boolean accumulate) {
        final int m = w.rows, nc = k - c0;
        float[] wb = new float[m * nc];
        w.loadBlock(0, m, c0, nc, wb, 0);
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < nc; c++) {
                float s = accumulate ? dx[t * k + c0 + c] : 0f;
                for (int r = 0; r < m; r++) s = Math.fma(dy[t * m + r], wb[r * nc + c], s);
                dx[t * k + c0 + c] = s;
            }
        }
    }

    /**
     * dw[r, c] += Σ_t dy[t, r] · x[t, c]: the weight gradient of out = x · wᵀ, into an F32 [m, k] array. Tiles of 4
     * rows of dw x 4 vectors of columns, each summing over t in order. Each thread owns rows of dw; it first packs its
     * columns of dy as [row block][t][4] and then, per 64-column chunk, x's chunk as [t][64]: both are then read
     * contiguously (in place, rows of dy and x lie m or k floats apart, and at a 1-4 KiB stride the same few cache
     * sets take every row). Packing moves values, not sums, so the result has the bits of the unpacked loop.
     */
    public static void matmulBackwardWeight(float[] dw, float[] dy, float[] x, int n, int m, int k) {
        if (Backend.nativeFor(n)) {
            NativeMatmul.backwardWeight(dw, dy, x, n, m, k);
            return;
        }
        final int cw = 4 * L, fullCols = k / cw * cw;
        Parallel.forRange((m + 3) / 4, 1, (b0, b1) -> {
            int full = Math.min(b1, m / 4); // row blocks with all 4 rows
            float[] dyP = new float[Math.max(0, full - b0) * 4 * n];
            for (int rb = b0; rb < full; rb++) {
                int base = (rb - b0) * 4 * n, r0 = rb * 4;
                for (int t = 0; t < n; t++) System.arraycopy(dy, t * m + r0, dyP, base + 4 * t, 4);
            }
            float[] xP = fullCols > 0 && full > b0 ? new float[n * cw] : null;
            for (int c0 = 0; c0 < fullCols && xP != null; c0 += cw) {
                for (int t = 0; t < n; t++) System.arraycopy(x, t * k + c0, xP, t * cw, cw);
                for (int rb = b0; rb < full; rb++) backWeightTile(dw, dyP, (rb - b0) * 4 * n, xP, n, k, rb * 4, c0);
            }
            for (int rb = b0; rb < b1; rb++) {
                int r0 = rb * 4;
                if (rb >= full) for (int r = r0; r < Math.min(m, r0 + 4); r++) backWeightScalar(dw, dy, x, n, m, k, r, 0, fullCols);
                for (int r = r0; r < Math.min(m, r0 + 4); r++) backWeightScalar(dw, dy, x, n, m, k, r, fullCols, k);
            }
        });
    }

    /** One 4 x 64 tile of dw from packed dy ([t][4] from dyo) and packed x ([t][64]). */
    private static void backWeightTile(float[] dw, float[] dyP, int dyo, float[] xP, int n, int k, int r0, int c0) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        for (int t = 0; t < n; t++) {
            int xo = t * 4 * L, d = dyo + 4 * t;
            FloatVector x0 = FloatVector.fromArray(F, xP, xo), x1 = FloatVector.fromArray(F, xP, xo + L);
            FloatVector x2 = FloatVector.fromArray(F, xP, xo + 2 * L), x3 = FloatVector.fromArray(F, xP, xo + 3 * L);
            FloatVector g = FloatVector.broadcast(F, dyP[d]);
            a00 = x0.fma(g, a00); a01 = x1.fma(g, a01); a02 = x2.fma(g, a02); a03 = x3.fma(g, a03);
            g = FloatVector.broadcast(F, dyP[d + 1]);
            a10 = x0.fma(g, a10); a11 = x1.fma(g, a11); a12 = x2.fma(g, a12); a13 = x3.fma(g, a13);
            g = FloatVector.broadcast(F, dyP[d + 2]);
            a20 = x0.fma(g, a20); a21 = x1.fma(g, a21); a22 = x2.fma(g, a22); a23 = x3.fma(g, a23);
            g = FloatVector.broadcast(F, dyP[d + 3]);
            a30 = x0.fma(g, a30); a31 = x1.fma(g, a31); a32 = x2.fma(g, a32); a33 = x3.fma(g, a33);
        }
        // written out: a vector passed to a call the JIT does not inline is boxed on the heap
        int o0 = r0 * k + c0, o1 = o0 + k, o2 = o1 + k, o3 = o2 + k;
        FloatVector.fromArray(F, dw, o0).add(a00).intoArray(dw, o0);
        FloatVector.fromArray(F, dw, o0 + L).add(a01).intoArray(dw, o0 + L);
        FloatVector.fromArray(F, dw, o0 + 2 * L).add(a02).intoArray(dw, o0 + 2 * L);
        FloatVector.fromArray(F, dw, o0 + 3 * L).add(a03).intoArray(dw, o0 + 3 * L);
        FloatVector.fromArray(F, dw, o1).add(a10).intoArray(dw, o1);
        FloatVector.fromArray(F, dw, o1 + L).add(a11).intoArray(dw, o1 + L);
        FloatVector.fromArray(F, dw, o1 + 2 * L).add(a12).intoArray(dw, o1 + 2 * L);
        FloatVector.fromArray(F, dw, o1 + 3 * L).add(a13).intoArray(dw, o1 + 3 * L);
        FloatVector.fromArray(F, dw, o2).add(a20).intoArray(dw, o2);
        FloatVector.fromArray(F, dw, o2 + L).add(a21).intoArray(dw, o2 + L);
        FloatVector.fromArray(F, dw, o2 + 2 * L).add(a22).intoArray(dw, o2 + 2 * L);
        FloatVector.fromArray(F, dw, o2 + 3 * L).add(a23).intoArray(dw, o2 + 3 * L);
        FloatVector.fromArray(F, dw, o3).add(a30).intoArray(dw, o3);
        FloatVector.fromArray(F, dw, o3 + L).add(a31).intoArray(dw, o3 + L);
        FloatVector.fromArray(F, dw, o3 + 2 * L).add(a32).intoArray(dw, o3 + 2 * L);
        FloatVector.fromArray(F, dw, o3 + 3 * L).add(a33).intoArray(dw, o3 + 3 * L);
    }

    private static void backWeightScalar(float[] dw, float[] dy, float[] x, int n, int m, int k, int r, int c0, int c1) {
        for (int c = c0; c < c1; c++) {
            float s = 0;
            for (int t = 0; t < n; t++) s = Math.fma(dy[t * m + r], x[t * k + c], s);
            dw[r * k + c] += s;
        }
    }

    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = hsum(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /**
     * out[oo..oo+n) += Σ_j p[po+j] · v[vo + j·stride ..+n) for j in [0, count) in order, skipping p = 0: the
     * probability-weighted sum of attention values. Each output lane gets exactly the FMAs of calling {@link #axpy}
     * once per j, but the running sums stay in registers (4 vectors at a time, then 1) instead of going through memory.
     */
    public static void weightedRows(float[] p, int po, int count, float[] v, int vo, int stride, float[] out, int oo, int n) {
        int c = 0;
        for (; c + 4 * L <= n; c += 4 * L) {
            int o = oo + c;
            FloatVector a0 = FloatVector.fromArray(F, out, o), a1 = FloatVector.fromArray(F, out, o + L);
            FloatVector a2 = FloatVector.fromArray(F, out, o + 2 * L), a3 = FloatVector.fromArray(F, out, o + 3 * L);
            for (int j = 0; j < count; j++) {
                float pj = p[po + j];
                if (pj == 0f) continue;
                FloatVector w = FloatVector.broadcast(F, pj);
                int r = vo + j * stride + c;
                a0 = FloatVector.fromArray(F, v, r).fma(w, a0);
                a1 = FloatVector.fromArray(F, v, r + L).fma(w, a1);
                a2 = FloatVector.fromArray(F, v, r + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(F, v, r + 3 * L).fma(w, a3);
            }
            a0.intoArray(out, o); a1.intoArray(out, o + L); a2.intoArray(out, o + 2 * L); a3.intoArray(out, o + 3 * L);
        }
        for (; c + L <= n; c += L) { // one vector at a time (a head of L floats, e.g. 16 with AVX-512)
            int o = oo + c;
            FloatVector a0 = FloatVector.fromArray(F, out, o);
            for (int j = 0; j < count; j++) {
                float pj = p[po + j];
                if (pj == 0f) continue;
                a0 = FloatVector.fromArray(F, v, vo + j * stride + c).fma(FloatVector.broadcast(F, pj), a0);
            }
            a0.intoArray(out, o);
        }
        if (c < n) {
            for (int j = 0; j < count; j++) {
                float pj = p[po + j];
                if (pj != 0f) axpy(pj, v, vo + j * stride + c, out, oo + c, n - c);
            }
        }
    }

    /** x[off..off+n) *= a. */
    public static void scale(float[] x, int off, int n, float a) {
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) FloatVector.fromArray(F, x, off + i).mul(a).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= a;
    }

    /** y[yo..] += alpha * x[xo..]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        // fused like the vector lanes, so an element's bits do not depend on whether it falls in the tail (on L)
        for (; i < n; i++) y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);
    }

    /** y[yo..] += x[xo..]. */
    public static void add(float[] y, int yo, float[] x, int xo, int n) {
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, y, yo + i).add(FloatVector.fromArray(F, x, xo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    /**
     * RMSNorm of each of n rows of width d: out = x · r · w with r = 1/sqrt(mean(x²) + eps). Stores r per row
     * in rstd (when not null) for the backward.
     */
    public static void rmsnorm(float[] out, float[] x, float[] w, float[] rstd, int n, int d, float eps) {
        Parallel.forRange(n, 16, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t * d;
                float ss = dot(x, o, x, o, d);
                float r = (float) (1.0 / Math.sqrt(ss / d + eps));
                if (rstd != null) rstd[t] = r;
                for (int i = 0; i < d; i++) out[o + i] = x[o + i] * r * w[i];
            }
        });
    }

    /**
     * Backward of {@link #rmsnorm}: dx (+)= r·(dy·w) − x·r³/d·Σ(dy·w·x); dw += Σ_t dy·x·r (when dw is not null).
     */
    public static void rmsnormBackward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd, int n, int d) {
        Parallel.forRange(n, 16, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int o = t * d;
                float r = rstd[t];
                double s = 0;
                for (int i = 0; i < d; i++) s += dy[o + i] * w[i] * x[o + i];
                float c = (float) (s * r * r * r / d);
                for (int i = 0; i < d; i++) dx[o + i] += r * dy[o + i] * w[i] - c * x[o + i];
            }
        });
        if (dw != null) {
            for (int t = 0; t < n; t++) {
                int o = t * d;
                float r = rstd[t];
                for (int i = 0; i < d; i++) dw[i] += dy[o + i] * x[o + i] * r;
            }
        }
    }

    // ------------------------------------------------------------------------------------ exp and its users

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float EXP_LO = -87.3f, EXP_HI = 88.7f;
    /** 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;

    /**
     * e^x lane by lane, to about 1 ulp (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial in r, times 2^n). Written
     * with adds, multiplies and FMAs only, so it gives the same bits interpreted, C1- or C2-compiled (the Vector
     * API's own EXP calls a different library once compiled). x below -87.3 gives 0 (e^-inf = 0 for masked
     * scores), above 88.7 +inf, NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        IntVector ni = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, 1.9875691500e-4f), FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        // 2^n as 2^(n/2) · 2^(n - n/2): both factors are normal floats for every n in [-126, 128]
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(s1).mul(s2);
        return e.blend(0f, x.lt(EXP_LO)).blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
    }

    /** e^x for one float, in exactly the bits of the vector {@link #exp} (for tails and scalar callers). */
    public static float exp(float x) {
        float[] one = EXP_ONE.get();
        Arrays.fill(one, x);
        exp(FloatVector.fromArray(F, one, 0)).intoArray(one, 0);
        return one[0];
    }

    private static final ThreadLocal<float[]> EXP_ONE = ThreadLocal.withInitial(() -> new float[L]);

    /** x[i] = e^(x[i] − shift) for i in [off, off+n). */
    public static void expShifted(float[] x, int off, int n, float shift) {
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) exp(FloatVector.fromArray(F, x, off + i).sub(shift)).intoArray(x, off + i);
        if (i < n) { // the tail as one masked vector: lanes are independent, so its bits are the scalar exp's
            VectorMask<Float> m = F.indexInRange(i, n);
            exp(FloatVector.fromArray(F, x, off + i, m).sub(shift)).intoArray(x, off + i, m);
        }
    }

    /** out[i] = silu(gate[i]) · up[i] = gate / (1 + e^-gate) · up, for i in [from, to): the MLP's activation. */
    public static void siluMul(float[] out, float[] gate, float[] up, int from, int to) {
        int i = from, bound = from + F.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(out, i);
        }
        for (; i < to; i++) out[i] = gate[i] / (exp(-gate[i]) + 1f) * up[i];
    }

    /**
     * Backward of {@link #siluMul} for i in [from, to): with s = sigmoid(g), dUp = dAct · g·s and
     * dGate = dAct · up · s·(1 + g·(1 − s)).
     */
    public static void siluMulBackward(float[] dGate, float[] dUp, float[] dAct, float[] gate, float[] up, int from, int to) {
        int i = from, bound = from + F.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i), da = FloatVector.fromArray(F, dAct, i);
            FloatVector sig = FloatVector.broadcast(F, 1f).div(exp(g.neg()).add(1f));
            da.mul(g).mul(sig).intoArray(dUp, i);
            da.mul(FloatVector.fromArray(F, up, i)).mul(sig).mul(g.mul(sig.neg().add(1f)).add(1f)).intoArray(dGate, i);
        }
        for (; i < to; i++) {
            float g = gate[i], sig = 1f / (exp(-g) + 1f);
            dUp[i] = dAct[i] * g * sig;
            dGate[i] = dAct[i] * up[i] * sig * (1f + g * (1f - sig));
        }
    }

    /** In-place softmax of x[off, off+n); returns log of the normalizer (the logsumexp). */
    public static float softmax(float[] x, int off, int n) {
        float max = max(x, off, n);
        expShifted(x, off, n, max);
        double sum = sum(x, off, n);
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
        return (float) (max + StrictMath.log(sum));
    }

    /** log Σ exp(x[off..off+n)), without changing x. */
    public static float logSumExp(float[] x, int off, int n) {
        float max = max(x, off, n);
        // blocks of 1024 summed in float lanes, the blocks in double: a 150k vocabulary loses nothing to rounding
        double sum = 0;
        for (int b = 0; b < n; b += 1024) {
            int len = Math.min(1024, n - b), i = 0, bound = F.loopBound(len);
            FloatVector acc = FloatVector.zero(F);
            for (; i < bound; i += L) acc = acc.add(exp(FloatVector.fromArray(F, x, off + b + i).sub(max)));
            double s = hsum(acc);
            for (; i < len; i++) s += exp(x[off + b + i] - max);
            sum += s;
        }
        return (float) (max + StrictMath.log(sum));
    }

    /** The largest of x[off..off+n) (−inf when n is 0). */
    public static float max(float[] x, int off, int n) {
        int i = 0, bound = F.loopBound(n);
        float m = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += L) acc = acc.max(FloatVector.fromArray(F, x, off + i));
            m = acc.reduceLanes(VectorOperators.MAX); // max does not depend on the order
        }
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /** Σ x[off..off+n) in double, in index order. */
    private static double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    public static float silu(float g) {
        return g / (exp(-g) + 1f);
    }
}
