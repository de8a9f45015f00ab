package steerscope.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The kernels against plain double-precision loops, on odd shapes and every stored dtype. */
class KernelsTest {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** A mapped matrix in dtype holding values (rounded to the dtype); the rounded values come back in values. */
    static Mat mapped(Arena arena, DType dtype, float[] values, int rows, int cols) {
        MemorySegment seg = arena.allocate((long) values.length * dtype.bytes, 8);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.setAtIndex(FLOAT_LE, i, values[i]);
                case BF16 -> {
                    short b = DType.floatToBf16(values[i]);
                    seg.setAtIndex(SHORT_LE, i, b);
                    values[i] = DType.bf16ToFloat(b);
                }
                case F16 -> {
                    short h = Float.floatToFloat16(values[i]);
                    seg.setAtIndex(SHORT_LE, i, h);
                    values[i] = Float.float16ToFloat(h);
                }
            }
        }
        return Mat.mapped(seg, dtype, rows, cols);
    }

    static double[] naive(float[] x, int n, float[] w, int m, int k, float[] bias) {
        double[] out = new double[n * m];
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < m; r++) {
                double s = bias == null ? 0 : bias[r];
                for (int c = 0; c < k; c++) s += (double) x[t * k + c] * w[r * k + c];
                out[t * m + r] = s;
            }
        }
        return out;
    }

    static void assertClose(double[] want, float[] got, int off, double tol, String what) {
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(want[i] - got[off + i]);
            assertTrue(err <= tol * (1 + Math.abs(want[i])), what + " at " + i + ": " + got[off + i] + " vs " + want[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,5", "3,5,17", "4,4,16", "5,9,33", "8,13,100", "17,33,257", "6,64,896", "2,130,1000"})
    void matmulMatchesNaiveLoopForEveryDtype(int n, int m, int k) {
        for (DType dtype : DType.values()) {
            for (boolean accumulate : new boolean[] {false, true}) {
                try (Arena arena = Arena.ofShared()) {
                    float[] wv = random(m * k, 11 + m);
                    Mat w = dtype == DType.F32 && accumulate ? Mat.of(wv, m, k) : mapped(arena, dtype, wv, m, k);
                    float[] x = random(n * k, 7 + n);
                    float[] bias = accumulate ? null : random(m, 3);
                    int outOff = 3, xOff = 5;
                    float[] xPadded = new float[xOff + x.length];
                    System.arraycopy(x, 0, xPadded, xOff, x.length);
                    float[] out = new float[outOff + n * m];
                    float[] before = random(n * m, 99);
                    if (accumulate) System.arraycopy(before, 0, out, outOff, n * m);
                    Kernels.matmul(out, outOff, xPadded, xOff, n, w, bias, accumulate);
                    double[] want = naive(x, n, wv, m, k, bias);
                    if (accumulate) for (int i = 0; i < want.length; i++) want[i] += before[i];
                    assertClose(want, out, outOff, 1e-5 * Math.sqrt(k), dtype + " n=" + n + " m=" + m + " k=" + k + " acc=" + accumulate);
                    assertEquals(0f, out[0], "nothing written before outOff");
                }
            }
        }
    }

    @Test
    void aRowsResultDoesNotDependOnTheBatchAroundIt() {
        // decode (one token) and prefill (many) must give the same bits: batched generation equals one at a time
        int m = 37, k = 901;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : DType.values()) {
                Mat w = mapped(arena, dtype, random(m * k, 5), m, k);
                for (int n : new int[] {1, 3, 4, 9, 16}) {
                    float[] x = random(n * k, 21);
                    float[] all = new float[n * m];
                    Kernels.matmul(all, x, n, w, null);
                    for (int t = 0; t < n; t++) {
                        float[] one = new float[m];
                        Kernels.matmul(one, 0, x, t * k, 1, w, null, false);
                        float[] row = Arrays.copyOfRange(all, t * m, (t + 1) * m);
                        assertArrayEquals(one, row, 0f, dtype + " n=" + n + " token " + t);
                    }
                }
            }
        }
    }

    @Test
    void horizontalSumsFollowTheFixedTree() {
        float[] v = random(64, 8);
        for (int i = 0; i < 64; i++) v[i] *= (float) Math.pow(10, i % 7 - 3); // magnitudes where order matters
        int L = FloatVector.SPECIES_PREFERRED.length();
        for (int o = 0; o + L <= 64; o += L) {
            float[] a = Arrays.copyOfRange(v, o, o + L);
            for (int w = L / 2; w >= 1; w /= 2) for (int i = 0; i < w; i++) a[i] = a[i] + a[i + w];
            assertEquals(Float.floatToIntBits(a[0]), Float.floatToIntBits(Kernels.hsum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, o))));
        }
        if (L == 16) {
            FloatVector[] acc = new FloatVector[16];
            float[] want = new float[16];
            for (int j = 0; j < 16; j++) {
                float[] lanes = random(16, 100 + j);
                for (int i = 0; i < 16; i++) lanes[i] *= (float) Math.pow(10, (i * j) % 9 - 4);
                acc[j] = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0);
                want[j] = Kernels.hsum(acc[j]);
            }
            float[] got = Kernels.reduce16(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7], acc[8], acc[9], acc[10],
                    acc[11], acc[12], acc[13], acc[14], acc[15]).toArray();
            for (int j = 0; j < 16; j++) {
                boolean found = false;
                for (float g : got) found |= Float.floatToIntBits(g) == Float.floatToIntBits(want[j]);
                assertTrue(found, "sum " + j + " = " + want[j] + " among the reduced lanes");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,3,5", "4,16,16", "7,33,18", "20,70,129", "9,130,64", "5,7,200"})
    void backwardProductsMatchNaiveLoops(int n, int m, int k) {
        for (DType dtype : DType.values()) {
            try (Arena arena = Arena.ofShared()) {
                float[] wv = random(m * k, 1), dy = random(n * m, 2);
                Mat w = mapped(arena, dtype, wv, m, k); // the input gradient reads BF16/F16 weights in place
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] dx = random(n * k, 4), dx0 = accumulate ? dx.clone() : new float[n * k];
                    Kernels.matmulBackwardInput(dx, dy, n, w, accumulate);
                    double[] want = new double[n * k];
                    for (int t = 0; t < n; t++) {
                        for (int c = 0; c < k; c++) {
                            double s = dx0[t * k + c];
                            for (int r = 0; r < m; r++) s += (double) dy[t * m + r] * wv[r * k + c];
                            want[t * k + c] = s;
                        }
                    }
                    assertClose(want, dx, 0, 1e-5 * Math.sqrt(m), dtype + " dx, accumulate " + accumulate);
                }
            }
        }
        float[] wv = random(m * k, 1), dy = random(n * m, 2), x = random(n * k, 3);
        Mat w = Mat.of(wv.clone(), m, k);
        float[] dx = random(n * k, 4), dx0 = dx.clone();
        Kernels.matmulBackwardInput(dx, dy, n, w, true);
        float[] dw = random(m * k, 5), dw0 = dw.clone();
        Kernels.matmulBackwardWeight(dw, dy, x, n, m, k);
        double[] wantDx = new double[n * k], wantDw = new double[m * k];
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < k; c++) {
                double s = dx0[t * k + c];
                for (int r = 0; r < m; r++) s += (double) dy[t * m + r] * wv[r * k + c];
                wantDx[t * k + c] = s;
            }
        }
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < k; c++) {
                double s = dw0[r * k + c];
                for (int t = 0; t < n; t++) s += (double) dy[t * m + r] * x[t * k + c];
                wantDw[r * k + c] = s;
            }
        }
        assertClose(wantDx, dx, 0, 1e-5 * Math.sqrt(m), "dx");
        assertClose(wantDw, dw, 0, 1e-5 * Math.sqrt(n), "dw");
    }

    @Test
    void rmsnormMatchesItsDefinition() {
        int n = 5, d = 37;
        float[] x = random(n * d, 1), w = random(d, 2), out = new float[n * d], rstd = new float[n];
        Kernels.rmsnorm(out, x, w, rstd, n, d, 1e-6f);
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double) x[t * d + i] * x[t * d + i];
            double r = 1 / Math.sqrt(ss / d + 1e-6);
            assertEquals(r, rstd[t], 1e-6 * r);
            for (int i = 0; i < d; i++) assertEquals(x[t * d + i] * r * w[i], out[t * d + i], 1e-6);
        }
    }

    @Test
    void expIsWithinTwoUlpsOfMathExpAndHandlesTheEdges() {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[20_000];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 175 - 87);
        float[] e = x.clone();
        Kernels.expShifted(e, 0, e.length, 0f);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(e[i] - want) / Math.ulp((float) want));
            assertEquals(Float.floatToIntBits(e[i]), Float.floatToIntBits(Kernels.exp(x[i])), "scalar and vector exp differ at " + x[i]);
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        float[] edge = {Float.NEGATIVE_INFINITY, -1000f, -87.5f, 0f, -0f, 88.7f, 89f, Float.POSITIVE_INFINITY, Float.NaN, 1f};
        float[] got = edge.clone();
        Kernels.expShifted(got, 0, got.length, 0f);
        assertEquals(0f, got[0]);
        assertEquals(0f, got[1]);
        assertEquals(0f, got[2]);
        assertEquals(1f, got[3]);
        assertEquals(1f, got[4]);
        assertEquals(Math.exp(88.7f), got[5], Math.ulp((float) Math.exp(88.7f)) * 2);
        assertEquals(Float.POSITIVE_INFINITY, got[6]);
        assertEquals(Float.POSITIVE_INFINITY, got[7]);
        assertTrue(Float.isNaN(got[8]));
        assertEquals(Math.E, got[9], 2 * Math.ulp((float) Math.E));
    }

    @Test
    void siluAndItsBackwardAndLogSumExpMatchTheirDefinitions() {
        int n = 1000 + 7; // a vector tail too
        float[] g = random(n, 11), up = random(n, 12), dAct = random(n, 13);
        for (int i = 0; i < n; i++) g[i] *= 12; // well into both tails of the sigmoid
        float[] act = new float[n], dGate = new float[n], dUp = new float[n];
        Kernels.siluMul(act, g, up, 0, n);
        Kernels.siluMulBackward(dGate, dUp, dAct, g, up, 0, n);
        double[] wantAct = new double[n], wantGate = new double[n], wantUp = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 1 / (1 + Math.exp(-g[i]));
            wantAct[i] = g[i] * s * up[i];
            wantUp[i] = dAct[i] * g[i] * s;
            wantGate[i] = dAct[i] * up[i] * (s + g[i] * s * (1 - s));
        }
        assertClose(wantAct, act, 0, 1e-6, "silu(g)*up");
        assertClose(wantUp, dUp, 0, 1e-6, "dUp");
        assertClose(wantGate, dGate, 0, 1e-6, "dGate");

        float[] logits = random(151_937, 14);
        for (int i = 0; i < logits.length; i++) logits[i] *= 30;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : logits) max = Math.max(max, v);
        for (float v : logits) sum += Math.exp(v - max);
        assertEquals(max + Math.log(sum), Kernels.logSumExp(logits, 0, logits.length), 1e-5);
        float[] p = logits.clone();
        float lse = Kernels.softmax(p, 0, p.length);
        assertEquals(max + Math.log(sum), lse, 1e-5);
        double total = 0;
        for (float v : p) total += v;
        assertEquals(1.0, total, 1e-5);
        assertEquals(Math.exp(logits[5] - max) / sum, p[5], 1e-6 * (1 + p[5]));
    }

    @Test
    void weightedRowsEqualsOneAxpyPerRowBitForBit() {
        for (int n : new int[] {64, 128, 40, 7}) {
            int count = 37, stride = n + 9;
            float[] p = random(count, 21), v = random(count * stride + 5, 22);
            p[3] = 0f;
            p[10] = 0f;
            float[] want = random(n + 3, 23), got = want.clone();
            for (int j = 0; j < count; j++) if (p[j] != 0f) Kernels.axpy(p[j], v, 5 + j * stride, want, 3, n);
            Kernels.weightedRows(p, 0, count, v, 5, stride, got, 3, n);
            assertArrayEquals(want, got, "width " + n);
        }
    }
}
