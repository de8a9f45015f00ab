package steerscope.rl.optim;

import java.util.List;
import steerscope.tensor.Parallel;

/**
 * Gradient clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_}: the norm of all gradients
 * viewed as one vector, and when it is above maxNorm every gradient is scaled by maxNorm / (norm + 1e-6).
 *
 * <p>The norm is summed in double over fixed blocks in a fixed order, so it is the same for any thread count.
 */
public final class GradClip {
    /** Elements per block of the norm; blocks are summed in parallel, then their partials in order. */
    static final int BLOCK = 1 << 16;

    private GradClip() {}

    /**
     * Returns the pre-clip global norm and scales the gradients in place when it is above maxNorm. A non-finite
     * norm (a NaN or infinite gradient) is returned as is and leaves the gradients untouched: the caller should
     * skip that step (torch would instead turn every gradient into NaN).
     */
    public static double clipByGlobalNorm(List<float[]> grads, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
        double norm = globalNorm(grads);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) {
            float c = (float) coef;
            for (float[] g : grads) {
                Parallel.forRange(g.length, BLOCK, (s, e) -> {
                    for (int i = s; i < e; i++) g[i] *= c;
                });
            }
        }
        return norm;
    }

    /** The L2 norm of all gradients together. */
    public static double globalNorm(List<float[]> grads) {
        double total = 0;
        for (float[] g : grads) {
            int blocks = (g.length + BLOCK - 1) / BLOCK;
            double[] partial = new double[blocks];
            Parallel.forEach(blocks, b -> partial[b] = sumSquares(g, b * BLOCK, Math.min(g.length, (b + 1) * BLOCK)));
            for (double p : partial) total += p;
        }
        return Math.sqrt(total);
    }

    /** Four accumulators in a fixed pattern: deterministic, and not one long chain of dependent adds. */
    private static double sumSquares(float[] g, int from, int to) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int i = from;
        for (; i + 4 <= to; i += 4) {
            double x0 = g[i], x1 = g[i + 1], x2 = g[i + 2], x3 = g[i + 3];
            a0 += x0 * x0;
            a1 += x1 * x1;
            a2 += x2 * x2;
            a3 += x3 * x3;
        }
        for (; i < to; i++) {
            double x = g[i];
            a0 += x * x;
        }
        return (a0 + a1) + (a2 + a3);
    }

    /** True when no gradient holds a NaN or an infinity. */
    public static boolean allFinite(List<float[]> grads) {
        for (float[] g : grads) {
            for (float x : g) {
                if (!Float.isFinite(x)) return false;
            }
        }
        return true;
    }
}
