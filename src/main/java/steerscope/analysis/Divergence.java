package steerscope.analysis;

/** KL and Jensen–Shannon divergences (nats) and cosine similarity, accumulated in double. */
final class Divergence {
    private Divergence() {}

    /** KL(P || Q) of the softmax distributions of two logit rows. */
    static double klOfLogits(float[] p, int po, float[] q, int qo, int n) {
        double lp = logSumExp(p, po, n), lq = logSumExp(q, qo, n);
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double a = p[po + i] - lp;
            double pa = StrictMath.exp(a);
            if (pa > 0) kl += pa * (a - (q[qo + i] - lq));
        }
        return Math.max(0, kl);
    }

    /** Jensen–Shannon divergence of two probability rows (ln 2 when their supports are disjoint). */
    static double js(float[] p, int po, float[] q, int qo, int n) {
        double js = 0;
        for (int i = 0; i < n; i++) {
            double a = p[po + i], b = q[qo + i], m = 0.5 * (a + b);
            if (a > 0) js += 0.5 * a * StrictMath.log(a / m);
            if (b > 0) js += 0.5 * b * StrictMath.log(b / m);
        }
        return Math.max(0, js);
    }

    static double logSumExp(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += StrictMath.exp(x[off + i] - max);
        return max + StrictMath.log(s);
    }

    /** Softmax of a logit row into probabilities (double). */
    static double[] softmax(float[] x, int off, int n) {
        double lse = logSumExp(x, off, n);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) p[i] = StrictMath.exp(x[off + i] - lse);
        return p;
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? Double.NaN : ab / Math.sqrt(aa * bb);
    }
}
