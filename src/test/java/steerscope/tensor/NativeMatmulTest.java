package steerscope.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static steerscope.tensor.KernelsTest.assertClose;
import static steerscope.tensor.KernelsTest.mapped;
import static steerscope.tensor.KernelsTest.naive;
import static steerscope.tensor.KernelsTest.random;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.util.UserError;

/**
 * The oneDNN backend (libdnnl2 must be installed: scripts/setup-test-deps) against double-precision loops: the
 * forward product and both backward products, F32 (heap and mapped) and BF16 weights, all at F32's tolerance
 * (with BF16 weights the activations go in as two BF16 halves, which keeps F32's accuracy).
 */
class NativeMatmulTest {
    @BeforeEach
    void nativeKernels() {
        assertTrue(NativeMatmul.available(), "libdnnl.so.2 did not load: " + NativeMatmul.loadError());
        Backend.use(Backend.NATIVE, 1); // every product on oneDNN, however few rows
    }

    @AfterEach
    void javaKernels() {
        Backend.use(Backend.JAVA);
    }

    private static Mat weights(Arena arena, String kind, float[] wv, int m, int k) {
        return switch (kind) {
            case "heap" -> Mat.of(wv, m, k);
            case "f32" -> mapped(arena, DType.F32, wv, m, k);
            case "bf16" -> mapped(arena, DType.BF16, wv, m, k);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,5", "3,5,17", "4,4,16", "5,9,33", "16,64,896", "17,33,257", "2,130,1000"})
    void productsMatchNaiveLoops(int n, int m, int k) {
        for (String kind : new String[] {"heap", "f32", "bf16"}) {
            for (boolean accumulate : new boolean[] {false, true}) {
                try (Arena arena = Arena.ofShared()) {
                    float[] wv = random(m * k, 11 + m);
                    Mat w = weights(arena, kind, wv, m, k); // wv now holds the stored (rounded) values
                    float[] x = random(n * k, 7 + n), bias = random(m, 3);
                    int outOff = 3, xOff = 5;
                    float[] xPadded = new float[xOff + x.length];
                    System.arraycopy(x, 0, xPadded, xOff, x.length);
                    float[] out = new float[outOff + n * m];
                    Arrays.fill(out, 0.5f);
                    Kernels.matmul(out, outOff, xPadded, xOff, n, w, bias, accumulate);
                    double[] want = naive(x, n, wv, m, k, bias);
                    if (accumulate) for (int i = 0; i < want.length; i++) want[i] += 0.5;
                    assertClose(want, out, outOff, 1e-5 * Math.sqrt(k), kind + " forward acc=" + accumulate);
                    assertEquals(0.5f, out[0], "nothing written before outOff");

                    // dx (+)= dy · w
                    float[] dy = random(n * m, 5 + n);
                    float[] dx = new float[n * k];
                    Arrays.fill(dx, 0.25f);
                    Kernels.matmulBackwardInput(dx, dy, n, w, accumulate);
                    float[] dyUsed = dy;
                    double[] wantDx = new double[n * k];
                    for (int t = 0; t < n; t++) {
                        for (int c = 0; c < k; c++) {
                            double s = accumulate ? 0.25 : 0;
                            for (int r = 0; r < m; r++) s += (double) dyUsed[t * m + r] * wv[r * k + c];
                            wantDx[t * k + c] = s;
                        }
                    }
                    assertClose(wantDx, dx, 0, 1e-5 * Math.sqrt(m), kind + " backward input acc=" + accumulate);
                }
            }
        }
        // dw += dyᵀ · x, in F32 whatever the weights' dtype
        float[] dy = random(n * m, 21), x = random(n * k, 22);
        float[] dw = random(m * k, 23);
        double[] wantDw = new double[m * k];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < k; c++) {
                double s = dw[r * k + c];
                for (int t = 0; t < n; t++) s += (double) dy[t * m + r] * x[t * k + c];
                wantDw[r * k + c] = s;
            }
        }
        Kernels.matmulBackwardWeight(dw, dy, x, n, m, k);
        assertClose(wantDw, dw, 0, 1e-5 * Math.sqrt(n), "backward weight");
    }

    @Test
    void activationsSplitIntoTwoBf16HalvesThatSumBack() {
        // hi is torch's rounding (ties to even, NaN stays NaN); hi + lo is x within 2^-17 relative (for subnormals
        // within BF16's smallest step, 2^-133)
        float[] x = {1f, 1.00390625f, 1.01171875f, -3.5e-39f, Float.NaN, Float.POSITIVE_INFINITY, -0f, 65504f,
                3.3895314e38f, 1e-45f, 0.1f, -0.3f, 7.0e-3f, 1.5f, 2.5f, 123456.78f, 9.99e-20f, 0.33333334f};
        try (Arena arena = Arena.ofConfined()) {
            var seg = arena.allocate(4L * x.length, 2);
            NativeMatmul.copyIn(x, 0, x.length, seg, Dnnl.DT_BF16);
            for (int i = 0; i < x.length; i++) {
                short hi = seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
                short lo = seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, x.length + i);
                assertEquals(DType.floatToBf16(x[i]), hi, "hi of " + x[i]);
                if (!Float.isFinite(x[i])) {
                    assertEquals(0, lo, "lo of " + x[i]);
                    continue;
                }
                double sum = (double) DType.bf16ToFloat(hi) + DType.bf16ToFloat(lo);
                assertTrue(Math.abs(sum - x[i]) <= Math.abs(x[i]) * 0x1p-17 + 0x1p-133, x[i] + " -> " + sum);
            }
        }
    }

    @Test
    void sameInputsGiveTheSameBitsRunToRun() {
        int n = 37, m = 300, k = 520;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                Mat w = mapped(arena, dtype, random(m * k, 1), m, k);
                float[] x = random(n * k, 2);
                float[] a = new float[n * m], b = new float[n * m];
                Kernels.matmul(a, x, n, w, null);
                Kernels.matmul(b, x, n, w, null);
                assertArrayEquals(a, b, dtype + ": two runs differ");
            }
        }
    }

    @Test
    void reportsVersionIsaAndImplementation() {
        try (Arena arena = Arena.ofShared()) {
            Kernels.matmul(new float[8 * 64], random(8 * 96, 1), 8, mapped(arena, DType.BF16, random(64 * 96, 2), 64, 96), null);
        }
        assertTrue(NativeMatmul.version().startsWith("oneDNN 2."), NativeMatmul.version());
        assertNotNull(NativeMatmul.isa());
        assertTrue(!NativeMatmul.implementations().isEmpty());
        assertTrue(Backend.describe().startsWith("native (oneDNN"), Backend.describe());
        Parallel.setThreads(2);
        assertEquals(2, NativeMatmul.ompMaxThreads(), "OpenMP must run steerscope's thread count");
        Parallel.setThreads(1);
        assertEquals(1, NativeMatmul.ompMaxThreads());
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void bf16PeakTimesARightProduct() {
        // the method checks its own product's elements (it throws on a wrong one); a positive, finite rate is the rest
        double gflops = NativeMatmul.bf16PeakGflops(256, 2);
        assertTrue(gflops > 0 && Double.isFinite(gflops), "BF16 peak " + gflops);
    }

    @Test
    void smallProductsStayOnJavaByDefault() {
        // below NATIVE_MIN_ROWS rows the Java kernels run: their batch-invariant bits, exactly
        Backend.use(Backend.NATIVE);
        int n = 3, m = 40, k = 70;
        try (Arena arena = Arena.ofShared()) {
            Mat w = mapped(arena, DType.BF16, random(m * k, 4), m, k);
            float[] x = random(n * k, 5), a = new float[n * m], b = new float[n * m];
            Kernels.matmul(a, x, n, w, null);
            Backend.use(Backend.JAVA);
            Kernels.matmul(b, x, n, w, null);
            assertArrayEquals(b, a);
        }
    }

    @Test
    void kernelsOptionIsParsed() {
        assertEquals(Backend.JAVA, Backend.select("java"));
        assertEquals(Backend.NATIVE, Backend.select("native"));
        assertEquals(Backend.NATIVE, Backend.select("auto"));
        UserError e = assertThrows(UserError.class, () -> Backend.select("fast"));
        assertTrue(e.getMessage().contains("java, native or auto"), e.getMessage());
    }
}
