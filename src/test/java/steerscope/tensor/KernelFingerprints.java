package steerscope.tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.rl.optim.AdamW;

/**
 * Every kernel run once on fixed inputs whose lengths are not multiples of a vector (so tails are taken), each
 * result reduced to a hash of its bits. {@link VectorWidthTest} compares these across JVMs with other vector
 * widths and with the interpreter; {@link #main} prints them for a child JVM.
 */
final class KernelFingerprints {
    /** The kernels whose bits do not depend on the vector width L (docs/reproducibility.md says why). */
    static final List<String> WIDTH_INDEPENDENT = List.of("matmulBackwardInput", "matmulBackwardWeight",
            "axpy", "add", "scale", "weightedRows", "expShifted", "softmax", "siluMul", "siluMulBackward", "rmsnormBackward", "adamw");

    private KernelFingerprints() {}

    public static void main(String[] args) {
        for (var e : compute().entrySet()) System.out.println(e.getKey() + " " + e.getValue());
    }

    static Map<String, String> compute() {
        Map<String, String> f = new LinkedHashMap<>();
        int n = 6, k = 95, m = 37; // k: tails of 15, 7 and 3 at 16, 8 and 4 lanes; m: not a multiple of 4
        float[] x = random(n * k, 1), w = random(m * k, 2), dy = random(n * m, 3);
        Mat W = Mat.of(w, m, k);

        float[] out = new float[n * m];
        Kernels.matmul(out, x, n, W, random(m, 4));
        f.put("matmul", hash(out));
        float[] one = new float[2 * m];
        Kernels.matmul(one, x, 2, W, null);
        f.put("matmul2", hash(one));
        f.put("dot", hash(new float[] {Kernels.dot(x, 0, w, 0, k)}));
        f.put("logSumExp", hash(new float[] {Kernels.logSumExp(x, 0, n * k)}));
        float[] norm = new float[n * k], rstd = new float[n];
        Kernels.rmsnorm(norm, x, random(k, 5), rstd, n, k, 1e-6f);
        f.put("rmsnorm", hash(norm) + hash(rstd));

        float[] dx = random(n * k, 6);
        Kernels.matmulBackwardInput(dx, dy, n, W, true);
        f.put("matmulBackwardInput", hash(dx));
        float[] dw = random(m * k, 7);
        Kernels.matmulBackwardWeight(dw, dy, x, n, m, k);
        f.put("matmulBackwardWeight", hash(dw));
        float[] y = random(k, 8);
        Kernels.axpy(0.37f, x, 0, y, 0, k);
        f.put("axpy", hash(y));
        y = random(k, 8);
        Kernels.add(y, 0, x, 0, k);
        f.put("add", hash(y));
        y = random(k, 8);
        Kernels.scale(y, 0, k, 1.7f);
        f.put("scale", hash(y));
        float[] p = random(n, 9);
        p[2] = 0f;
        float[] acc = random(k, 10);
        Kernels.weightedRows(p, 0, n, x, 0, k, acc, 0, k);
        float[] acc2 = random(3 * 16 + 5, 10); // lengths with a 4-vector body and a tail on both widths
        Kernels.weightedRows(p, 0, n, x, 0, 53, acc2, 0, 53);
        f.put("weightedRows", hash(acc) + hash(acc2));
        float[] e = Arrays.copyOf(x, n * k);
        Kernels.expShifted(e, 0, n * k, 0.5f);
        f.put("expShifted", hash(e));
        float[] s = Arrays.copyOf(x, k);
        Kernels.softmax(s, 0, k);
        f.put("softmax", hash(s));
        float[] act = new float[n * k];
        Kernels.siluMul(act, x, dx, 0, n * k);
        f.put("siluMul", hash(act));
        float[] dGate = new float[n * k], dUp = new float[n * k];
        Kernels.siluMulBackward(dGate, dUp, dx, x, random(n * k, 12), 0, n * k);
        f.put("siluMulBackward", hash(dGate) + hash(dUp));
        float[] dxn = random(n * k, 11), dwn = new float[k];
        Kernels.rmsnormBackward(dxn, dwn, dx, x, random(k, 5), rstdOf(x, n, k), n, k);
        f.put("rmsnormBackward", hash(dxn) + hash(dwn));
        float[] param = random(n * k, 13), grad = random(n * k, 14);
        AdamW adam = new AdamW(List.of(new AdamW.Param("p", param, grad, true)), 0.9, 0.999, 1e-8, 0.01);
        for (int step = 0; step < 3; step++) adam.step(1e-2);
        f.put("adamw", hash(param));
        return f;
    }

    /** 1/rms per row computed in double, so the backward's input does not carry the forward's width dependence. */
    private static float[] rstdOf(float[] x, int n, int k) {
        float[] r = new float[n];
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < k; i++) ss += (double) x[t * k + i] * x[t * k + i];
            r[t] = (float) (1 / Math.sqrt(ss / k + 1e-6));
        }
        return r;
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        // magnitudes over 6 decades, where the order of a sum changes its bits
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * StrictMath.pow(10, r.nextInt(6) - 3));
        return a;
    }

    private static String hash(float[] a) {
        long h = 1125899906842597L;
        for (float v : a) h = 31 * h + Float.floatToRawIntBits(v);
        return Long.toHexString(h);
    }
}
