package steerscope.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import steerscope.model.Hooks;
import steerscope.model.Transformer;
import steerscope.steer.Steering;

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

    static ResidualStats measure(Transformer tf, List<int[]> prompts, Steering steering, int batch) {
        int L = tf.config.nLayers(), d = tf.config.hiddenSize();
        double[][] sum = new double[L][d];
        List<List<Double>> norms = new ArrayList<>();
        for (int l = 0; l < L; l++) norms.add(new ArrayList<>());
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
                        norms.get(layer).add(Math.sqrt(ss));
                    }
                });
            }
            b.run(tf, steering, hooks);
            for (boolean v : b.valid) if (v) count[0]++;
        }
        float[][] mean = new float[L][d];
        double[] median = new double[L];
        for (int l = 0; l < L; l++) {
            for (int i = 0; i < d; i++) mean[l][i] = (float) (sum[l][i] / Math.max(1, count[0]));
            double[] ns = norms.get(l).stream().mapToDouble(Double::doubleValue).toArray();
            Arrays.sort(ns);
            median[l] = ns.length == 0 ? Double.NaN : ns.length % 2 == 1 ? ns[ns.length / 2] : 0.5 * (ns[ns.length / 2 - 1] + ns[ns.length / 2]);
        }
        return new ResidualStats(mean, median);
    }
}
