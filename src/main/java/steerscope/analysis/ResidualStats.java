package steerscope.analysis;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.Transformer;

/**
 * Per layer, over every real prompt token: the mean of {@code hook_resid_post} and the median of its norm.
 * The median, not the mean, because a few tokens (the first, an attention sink) carry residual norms many
 * times the rest in real models.
 */
final class ResidualStats {
    final float[][] mean;    // [layer][d]
    final double[] medianNorm; // [layer]

    private ResidualStats(float[][] mean, double[] medianNorm) {
        this.mean = mean;
        this.medianNorm = medianNorm;
    }

    /** What a share of the prompts measured: the summed residuals, every token's norm (for the exact median), the token count. */
    record Part(double[][] sum, double[][] norms, long count) implements Serializable {
        static Part merge(Part a, Part b) {
            double[][] norms = new double[a.norms.length][];
            for (int l = 0; l < norms.length; l++) norms[l] = Sums.concat(a.norms[l], b.norms[l]);
            return new Part(Sums.add(a.sum, b.sum), norms, a.count + b.count);
        }
    }

    static ResidualStats measure(Transformer tf, List<int[]> prompts, Steering steering, int batch) {
        return of(part(tf, prompts, steering, batch));
    }

    static Part part(Transformer tf, List<int[]> prompts, Steering steering, int batch) {
        int L = tf.config.nLayers(), d = tf.config.hiddenSize();
        double[][] sum = new double[L][d];
        double[][] norms = new double[L][];
        int[] filled = new int[L];
        int tokens = 0;
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) for (int[] p : chunk) tokens += p.length;
        for (int l = 0; l < L; l++) norms[l] = new double[tokens];
        long[] count = {0};
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) {
            Batch b = Batch.ofPrompts(chunk);
            Hooks hooks = new Hooks();
            for (int l = 0; l < L; l++) {
                int layer = l;
                hooks.add(tf.hookNames.residPost[l], a -> {
                    for (int n = 0; n < b.size * b.tokens; n++) {
                        if (!b.valid[n]) continue;
                        double ss = 0;
                        for (int i = 0; i < d; i++) {
                            float x = a.data()[n * d + i];
                            sum[layer][i] += x;
                            ss += (double) x * x;
                        }
                        norms[layer][filled[layer]++] = Math.sqrt(ss);
                    }
                });
            }
            b.run(tf, steering, hooks);
            for (boolean v : b.valid) if (v) count[0]++;
        }
        return new Part(sum, norms, count[0]);
    }

    static ResidualStats of(Part part) {
        int L = part.sum.length, d = L == 0 ? 0 : part.sum[0].length;
        float[][] mean = new float[L][d];
        double[] median = new double[L];
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < d; i++) mean[l][i] = (float) (part.sum[l][i] / Math.max(1, part.count));
            double[] ns = part.norms[l].clone();
            Arrays.sort(ns);
            median[l] = ns.length == 0 ? Double.NaN : ns.length % 2 == 1 ? ns[ns.length / 2] : 0.5 * (ns[ns.length / 2 - 1] + ns[ns.length / 2]);
        }
        return new ResidualStats(mean, median);
    }
}
