package steerscope.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import steerscope.model.ActivationCache;
import steerscope.model.HookNames;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.util.Bootstrap;

/**
 * Persistence of a single-layer vector ({@code persistence.json}): for the vector v of layer l, at every layer
 * m ≥ l, the residual difference diff_m = hook_resid_post[m](steered) − hook_resid_post[m](base) at each prompt
 * token, and its mean cosine with v (Diff-Vector) and with the mean difference over all prompt tokens at that
 * layer (Diff-Diff). At m = l the difference is v itself (both cosines 1); a Diff-Vector cosine near 1 at the
 * last layer means the later blocks carried the vector through unchanged. Intervals: bootstrap over prompts.
 */
final class Persistence {
    private Persistence() {}

    static Map<String, Object> analyse(Transformer tf, List<int[]> prompts, SteeringVectors single, int batch, long seed) {
        int[] has = single.layers();
        if (has.length != 1) throw new IllegalArgumentException("persistence needs a single-layer vector, got layers " + Arrays.toString(has));
        int l = has[0], L = tf.config.nLayers(), d = tf.config.hiddenSize();
        float[] v = single.get(l);
        // per layer m >= l: per prompt the summed diff over its tokens (for the mean), and the diffs themselves
        int P = prompts.size(), M = L - l;
        List<List<float[]>> diffs = new ArrayList<>(); // [m][prompt] -> [tokens * d]
        for (int m = 0; m < M; m++) diffs.add(new ArrayList<>());
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) {
            Batch b = Batch.ofPrompts(chunk);
            ActivationCache base = new ActivationCache(), st = new ActivationCache();
            b.run(tf, null, new Hooks().cache(base, n -> HookNames.isPoint(n, HookNames.RESID_POST)));
            b.run(tf, Steering.of(single), new Hooks().cache(st, n -> HookNames.isPoint(n, HookNames.RESID_POST)));
            for (int m = l; m < L; m++) {
                float[] x = base.get(tf.hookNames.residPost[m]).data(), y = st.get(tf.hookNames.residPost[m]).data();
                for (int r = 0; r < b.size; r++) {
                    float[] diff = new float[b.lengths[r] * d];
                    for (int i = 0; i < b.lengths[r]; i++) {
                        int row = b.row(r, i);
                        for (int k = 0; k < d; k++) diff[i * d + k] = y[row * d + k] - x[row * d + k];
                    }
                    diffs.get(m - l).add(diff);
                }
            }
        }
        List<Object> layers = new ArrayList<>();
        for (int m = 0; m < M; m++) {
            float[] mean = new float[d];
            long tokens = 0;
            for (float[] diff : diffs.get(m)) {
                for (int i = 0; i < diff.length; i++) mean[i % d] += diff[i];
                tokens += diff.length / d;
            }
            for (int k = 0; k < d; k++) mean[k] /= Math.max(1, tokens);
            double[] toVector = new double[P], toMean = new double[P];
            for (int p = 0; p < P; p++) {
                float[] diff = diffs.get(m).get(p);
                int n = diff.length / d;
                for (int i = 0; i < n; i++) {
                    float[] row = Arrays.copyOfRange(diff, i * d, (i + 1) * d);
                    toVector[p] += orZero(Divergence.cosine(row, v)) / n;
                    toMean[p] += orZero(Divergence.cosine(row, mean)) / n;
                }
            }
            layers.add(Out.map("layer", l + m, "diff_vector", Out.interval(Bootstrap.mean(toVector, seed)),
                    "diff_diff", Out.interval(Bootstrap.mean(toMean, seed)), "mean_diff_norm", Out.num(SingleLayer.norm(mean))));
        }
        return Out.map("vector_layer", l, "vector_norm", Out.num(SingleLayer.norm(v)), "n_prompts", P, "layers", layers);
    }

    /** A zero difference (a padding token, or a vector of zeros) counts as no alignment. */
    static double orZero(double x) {
        return Double.isNaN(x) ? 0 : x;
    }
}
