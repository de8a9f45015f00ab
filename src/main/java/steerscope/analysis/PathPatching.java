package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import steerscope.model.ActivationCache;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.Transformer;
import steerscope.util.Progress;

/**
 * Analysis 4, path patching of each layer's vector on the first-token logits ({@code path_patching.json}).
 *
 * <p>For the vector of layer l: the steered run S has every vector on (every position); the clean run U has
 * every vector but layer l's (the others stay as in S). Total effect = S − U. The boosted tokens B of layer l
 * are the 10 tokens whose first-token logit (minus the vocabulary mean) S raises most over U, averaged over
 * the prompts; the metric of a run is m = mean over B of the logit minus the vocabulary-mean logit, at
 * position p-1, averaged over prompts. total_logit_diff = m(S) − m(U); total_kl = KL(S || U), nats.
 *
 * <p>Paths, each a real forward pass with hooks that overwrite component outputs at every position:
 * <ul>
 *   <li>direct: v_l added, every later block's hook_attn_out and hook_mlp_out frozen at their U values. The
 *       vector reaches the final norm and the unembedding only through the residual stream.</li>
 *   <li>attention[j] (j = l+1 .. n-1): as direct, but block j's hook_attn_out set to its S value: the effect
 *       of everything the vector changes in j's attention output (through any earlier components), read
 *       only through the residual stream from j to the logits (later components stay frozen).</li>
 *   <li>mlp[j]: the same for block j's hook_mlp_out.</li>
 * </ul>
 * Each path's effect is m(patched run) − m(U) (the direct run for attention/mlp paths has v_l too: a path's
 * value includes the direct term, so it is reported minus the direct effect). In the residual stream the
 * final state of S is exactly U's + v_l + Σ_j (c_j^S − c_j^U), so the paths add up; only the final norm
 * keeps them from summing exactly to the total (paths_sum says how close). Shares divide the direct, summed
 * attention and summed MLP effects by paths_sum.
 */
final class PathPatching {
    static final int BOOSTED = 10;

    private PathPatching() {}

    /**
     * Pass 1 over a share of the prompts, per layer with a vector (in {@code vectors().layers()} order): the
     * summed change (S − U) of the vocabulary-centred first-token logits [vocab], and the summed KL(S || U).
     */
    record Totals(double[][] change, double[] kl, int prompts) implements Serializable {
        static Totals merge(Totals a, Totals b) {
            return new Totals(Sums.add(a.change, b.change), Sums.add(a.kl, b.kl), a.prompts + b.prompts);
        }

        /** The mean change of layer k's vector over the prompts. */
        double[] meanChange(int k) {
            double[] c = change[k].clone();
            for (int v = 0; v < c.length; v++) c[v] /= prompts;
            return c;
        }
    }

    /**
     * Pass 2 over a share of the prompts, per layer with a vector: the summed metric of S, of U, of the direct
     * run, and of each later block's attention and MLP path minus the direct run ([later blocks]).
     */
    record Paths(double[] mS, double[] mU, double[] direct, double[][] attn, double[][] mlp) implements Serializable {
        static Paths merge(Paths a, Paths b) {
            for (int k = 0; k < a.attn.length; k++) {
                Sums.add(a.attn[k], b.attn[k]);
                Sums.add(a.mlp[k], b.mlp[k]);
            }
            return new Paths(Sums.add(a.mS, b.mS), Sums.add(a.mU, b.mU), Sums.add(a.direct, b.direct), a.attn, a.mlp);
        }
    }

    static Totals totals(Transformer tf, Vocab vocab, List<int[]> prompts, Steering all, int batch) {
        int V = tf.config.vocabSize();
        int[] vecLayers = all.vectors().layers();
        List<Batch> batches = new ArrayList<>();
        for (List<int[]> c : Batch.chunks(prompts, batch)) batches.add(Batch.ofPrompts(c));
        List<float[]> sLogits = new ArrayList<>();
        for (Batch b : batches) sLogits.add(b.firstTokenLogits(tf, all, null));
        double[][] change = new double[vecLayers.length][vocab.size];
        double[] kl = new double[vecLayers.length];
        for (int k = 0; k < vecLayers.length; k++) {
            Steering clean = all.allButLayer(vecLayers[k]);
            for (int bi = 0; bi < batches.size(); bi++) {
                float[] u = batches.get(bi).firstTokenLogits(tf, clean, null), s = sLogits.get(bi);
                for (int b = 0; b < u.length / V; b++) {
                    kl[k] += Divergence.klOfLogits(s, b * V, u, b * V, V);
                    double ms = vocab.mean(s, b * V), mu = vocab.mean(u, b * V);
                    for (int v = 0; v < vocab.size; v++) change[k][v] += (s[b * V + v] - ms) - (u[b * V + v] - mu);
                }
            }
        }
        return new Totals(change, kl, prompts.size());
    }

    /** Per layer with a vector, the {@link #BOOSTED} tokens whose logit its vector raises most on average. */
    static int[][] boosted(Totals totals, Vocab vocab) {
        int[][] out = new int[totals.change.length][];
        for (int k = 0; k < out.length; k++) out[k] = vocab.top(totals.meanChange(k), BOOSTED, true);
        return out;
    }

    static Paths paths(Transformer tf, Vocab vocab, List<int[]> prompts, Steering all, int[][] boosted, int batch, boolean progress) {
        int L = tf.config.nLayers(), V = tf.config.vocabSize();
        int[] vecLayers = all.vectors().layers();
        List<Batch> batches = new ArrayList<>();
        for (List<int[]> c : Batch.chunks(prompts, batch)) batches.add(Batch.ofPrompts(c));
        int n = vecLayers.length;
        double[] mS = new double[n], mU = new double[n], direct = new double[n];
        double[][] attn = new double[n][], mlp = new double[n][];
        Progress p = progress ? new Progress("path patching", n, 0) : null;
        for (int k = 0; k < n; k++) {
            int l = vecLayers[k];
            Steering clean = all.allButLayer(l);
            attn[k] = new double[L - 1 - l];
            mlp[k] = new double[L - 1 - l];
            for (Batch b : batches) {
                ActivationCache sActs = new ActivationCache(), uActs = new ActivationCache();
                mS[k] += metricSum(outputs(tf, b, all, l, sActs), boosted[k], vocab, V);
                mU[k] += metricSum(outputs(tf, b, clean, l, uActs), boosted[k], vocab, V);
                Map<String, float[]> frozen = new HashMap<>();
                for (int j = l + 1; j < L; j++) {
                    frozen.put(tf.hookNames.attnOut[j], uActs.get(tf.hookNames.attnOut[j]).data());
                    frozen.put(tf.hookNames.mlpOut[j], uActs.get(tf.hookNames.mlpOut[j]).data());
                }
                double d = metricSum(patched(tf, b, all, frozen), boosted[k], vocab, V);
                direct[k] += d;
                for (int j = l + 1; j < L; j++) {
                    for (String name : new String[] {tf.hookNames.attnOut[j], tf.hookNames.mlpOut[j]}) {
                        Map<String, float[]> patch = new HashMap<>(frozen);
                        patch.put(name, sActs.get(name).data());
                        double m = metricSum(patched(tf, b, all, patch), boosted[k], vocab, V) - d;
                        if (name.equals(tf.hookNames.attnOut[j])) attn[k][j - l - 1] += m; else mlp[k][j - l - 1] += m;
                    }
                }
            }
            if (p != null) p.update(k + 1, "layer " + l);
        }
        return new Paths(mS, mU, direct, attn, mlp);
    }

    static Map<String, Object> finish(int nLayers, Vocab vocab, Steering all, Totals totals, int[][] boosted, Paths paths) {
        int[] vecLayers = all.vectors().layers();
        int n = totals.prompts;
        List<Object> layers = new ArrayList<>();
        for (int k = 0; k < vecLayers.length; k++) {
            int l = vecLayers[k], later = nLayers - 1 - l;
            double[] change = totals.meanChange(k);
            double mU = paths.mU[k];
            double directEffect = (paths.direct[k] - mU) / n;
            List<Double> attnList = new ArrayList<>(), mlpList = new ArrayList<>();
            double attnSum = 0, mlpSum = 0;
            List<Integer> laterLayers = new ArrayList<>();
            for (int j = 0; j < later; j++) {
                attnList.add(paths.attn[k][j] / n);
                mlpList.add(paths.mlp[k][j] / n);
                attnSum += paths.attn[k][j] / n;
                mlpSum += paths.mlp[k][j] / n;
                laterLayers.add(l + 1 + j);
            }
            double sum = directEffect + attnSum + mlpSum;
            List<Object> boostedEntries = new ArrayList<>();
            for (int id : boosted[k]) boostedEntries.add(vocab.entry(id, change[id]));
            layers.add(Out.map("layer", l, "boosted", boostedEntries,
                    "total_logit_diff", (paths.mS[k] - mU) / n, "total_kl", totals.kl[k] / n,
                    "direct", directEffect, "attention", attnList, "mlp", mlpList, "later_layers", laterLayers,
                    "paths_sum", sum,
                    "shares", Out.map("direct", Out.num(directEffect / sum), "attention", Out.num(attnSum / sum), "mlp", Out.num(mlpSum / sum))));
        }
        return Out.map("layers", layers, "n_prompts", n);
    }

    /** Σ over the batch's prompts of m = mean logit of the boosted tokens − mean logit of the vocabulary. */
    private static double metricSum(float[] logits, int[] boosted, Vocab vocab, int V) {
        double s = 0;
        for (int b = 0; b < logits.length / V; b++) {
            double m = 0;
            for (int id : boosted) m += logits[b * V + id];
            s += m / boosted.length - vocab.mean(logits, b * V);
        }
        return s;
    }

    /** First-token logits of a run, caching into cache the hook_attn_out and hook_mlp_out of the blocks after layer l. */
    private static float[] outputs(Transformer tf, Batch b, Steering s, int l, ActivationCache cache) {
        Set<String> names = new HashSet<>();
        for (int j = l + 1; j < tf.config.nLayers(); j++) {
            names.add(tf.hookNames.attnOut[j]);
            names.add(tf.hookNames.mlpOut[j]);
        }
        return tf.logits(b.run(tf, s, new Hooks().cache(cache, names::contains)), b.firstTokenRows());
    }

    /** First-token logits of a forward in which each named hook point's buffer is overwritten with the given values. */
    static float[] patched(Transformer tf, Batch b, Steering s, Map<String, float[]> replace) {
        Hooks hooks = new Hooks();
        replace.forEach((name, values) -> hooks.add(name, a -> System.arraycopy(values, 0, a.data(), 0, a.size())));
        return b.firstTokenLogits(tf, s, hooks);
    }
}
