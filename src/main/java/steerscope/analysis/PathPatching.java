package steerscope.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import steerscope.model.ActivationCache;
import steerscope.model.Hooks;
import steerscope.model.Transformer;
import steerscope.steer.Steering;
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

    static Map<String, Object> analyse(Transformer tf, Vocab vocab, List<int[]> prompts, Steering all, int batch, boolean progress) {
        int L = tf.config.nLayers(), V = tf.config.vocabSize();
        int[] vecLayers = all.vectors().layers();
        List<Batch> batches = new ArrayList<>();
        for (List<int[]> c : Batch.chunks(prompts, batch)) batches.add(Batch.ofPrompts(c));
        List<float[]> sLogits = new ArrayList<>();
        for (Batch b : batches) sLogits.add(b.firstTokenLogits(tf, all, null));
        Progress p = progress ? new Progress("path patching", vecLayers.length, 0) : null;
        List<Object> layers = new ArrayList<>();
        int done = 0;
        for (int l : vecLayers) {
            Steering clean = all.allButLayer(l);
            // pass 1: the total effect, the boosted tokens and KL
            double[] change = new double[vocab.size];
            double kl = 0;
            List<float[]> uLogits = new ArrayList<>();
            for (int bi = 0; bi < batches.size(); bi++) {
                float[] u = batches.get(bi).firstTokenLogits(tf, clean, null), s = sLogits.get(bi);
                uLogits.add(u);
                for (int b = 0; b < u.length / V; b++) {
                    kl += Divergence.klOfLogits(s, b * V, u, b * V, V);
                    double ms = vocab.mean(s, b * V), mu = vocab.mean(u, b * V);
                    for (int v = 0; v < vocab.size; v++) change[v] += (s[b * V + v] - ms) - (u[b * V + v] - mu);
                }
            }
            int n = prompts.size();
            for (int v = 0; v < vocab.size; v++) change[v] /= n;
            int[] boosted = vocab.top(change, BOOSTED, true);
            double mS = 0, mU = 0;
            for (int bi = 0; bi < batches.size(); bi++) {
                mS += metricSum(sLogits.get(bi), boosted, vocab, V);
                mU += metricSum(uLogits.get(bi), boosted, vocab, V);
            }
            // pass 2: the patched runs
            int later = L - 1 - l;
            double direct = 0;
            double[] attn = new double[later], mlp = new double[later];
            for (Batch b : batches) {
                ActivationCache sActs = outputs(tf, b, all, l);
                ActivationCache uActs = outputs(tf, b, clean, l);
                Map<String, float[]> frozen = new HashMap<>();
                for (int j = l + 1; j < L; j++) {
                    frozen.put(tf.hookNames.attnOut[j], uActs.get(tf.hookNames.attnOut[j]).data());
                    frozen.put(tf.hookNames.mlpOut[j], uActs.get(tf.hookNames.mlpOut[j]).data());
                }
                double d = metricSum(patched(tf, b, all, frozen), boosted, vocab, V);
                direct += d;
                for (int j = l + 1; j < L; j++) {
                    for (String name : new String[] {tf.hookNames.attnOut[j], tf.hookNames.mlpOut[j]}) {
                        Map<String, float[]> patch = new HashMap<>(frozen);
                        patch.put(name, sActs.get(name).data());
                        double m = metricSum(patched(tf, b, all, patch), boosted, vocab, V) - d;
                        if (name.endsWith("attn_out")) attn[j - l - 1] += m; else mlp[j - l - 1] += m;
                    }
                }
            }
            double directEffect = (direct - mU) / n;
            List<Double> attnList = new ArrayList<>(), mlpList = new ArrayList<>();
            double attnSum = 0, mlpSum = 0;
            List<Integer> laterLayers = new ArrayList<>();
            for (int j = 0; j < later; j++) {
                attnList.add(attn[j] / n);
                mlpList.add(mlp[j] / n);
                attnSum += attn[j] / n;
                mlpSum += mlp[j] / n;
                laterLayers.add(l + 1 + j);
            }
            double sum = directEffect + attnSum + mlpSum;
            List<Object> boostedEntries = new ArrayList<>();
            for (int id : boosted) boostedEntries.add(vocab.entry(id, change[id]));
            layers.add(Out.map("layer", l, "boosted", boostedEntries,
                    "total_logit_diff", (mS - mU) / n, "total_kl", kl / n,
                    "direct", directEffect, "attention", attnList, "mlp", mlpList, "later_layers", laterLayers,
                    "paths_sum", sum,
                    "shares", Out.map("direct", Out.num(directEffect / sum), "attention", Out.num(attnSum / sum), "mlp", Out.num(mlpSum / sum))));
            if (p != null) p.update(++done, "layer " + l);
        }
        return Out.map("layers", layers, "n_prompts", prompts.size());
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

    /** hook_attn_out and hook_mlp_out of the blocks after layer l. */
    private static ActivationCache outputs(Transformer tf, Batch b, Steering s, int l) {
        ActivationCache cache = new ActivationCache();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int j = l + 1; j < tf.config.nLayers(); j++) {
            names.add(tf.hookNames.attnOut[j]);
            names.add(tf.hookNames.mlpOut[j]);
        }
        b.run(tf, s, new Hooks().cache(cache, names::contains));
        return cache;
    }

    /** First-token logits of a forward in which each named hook point's buffer is overwritten with the given values. */
    static float[] patched(Transformer tf, Batch b, Steering s, Map<String, float[]> replace) {
        Hooks hooks = new Hooks();
        replace.forEach((name, values) -> hooks.add(name, a -> System.arraycopy(values, 0, a.data(), 0, a.size())));
        return b.firstTokenLogits(tf, s, hooks);
    }
}
