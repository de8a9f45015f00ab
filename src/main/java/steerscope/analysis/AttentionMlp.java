package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.model.ActivationCache;
import steerscope.model.HookNames;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.Transformer;

/**
 * Analysis 5, what the vectors change in attention and in the MLPs ({@code attention_vs_mlp.json}), base
 * (no vectors) against steered (all vectors, every position), on the prompts: per layer and head, the mean
 * Jensen–Shannon divergence (nats, at most ln 2) between the two attention distributions of each query
 * position 0..p-1 (the prompt positions and the first generated position, p-1); and the relative changes
 * ||steered − base|| / ||base|| of hook_attn_out and hook_mlp_out, norms taken over those same positions.
 * A vector added after block l cannot change block l's attention or MLP: only blocks after the first vector
 * can move. So the penultimate vector (layer L−2) acts on block L−1, and the {@code penultimate_*} fields are
 * read from block L−1 ({@code penultimate_block}).
 */
final class AttentionMlp {
    private AttentionMlp() {}

    /**
     * What a share of the prompts measured: per layer and head the summed JS divergence, the number of query
     * positions, and per layer the summed squared norms ||steered − base||² and ||base||² of attn_out and mlp_out.
     */
    record Part(double[][] js, long queries, double[] attnDiff, double[] attnBase, double[] mlpDiff, double[] mlpBase) implements Serializable {
        static Part merge(Part a, Part b) {
            return new Part(Sums.add(a.js, b.js), a.queries + b.queries, Sums.add(a.attnDiff, b.attnDiff), Sums.add(a.attnBase, b.attnBase),
                    Sums.add(a.mlpDiff, b.mlpDiff), Sums.add(a.mlpBase, b.mlpBase));
        }
    }

    static Part part(Transformer tf, List<int[]> prompts, Steering steered, int batch) {
        int L = tf.config.nLayers(), H = tf.config.nHeads(), d = tf.config.hiddenSize();
        double[][] js = new double[L][H];
        long[] queries = {0};
        double[] attnDiff = new double[L], attnBase = new double[L], mlpDiff = new double[L], mlpBase = new double[L];
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) {
            Batch b = Batch.ofPrompts(chunk);
            int B = b.size, T = b.tokens;
            ActivationCache base = new ActivationCache();
            b.run(tf, null, new Hooks().cache(base, n -> HookNames.isPoint(n, HookNames.ATTN_PATTERN) || HookNames.isPoint(n, HookNames.ATTN_OUT)
                    || HookNames.isPoint(n, HookNames.MLP_OUT)));
            Hooks compare = new Hooks();
            for (int l = 0; l < L; l++) {
                int layer = l;
                compare.add(tf.hookNames.attnPattern[l], a -> {
                    float[] p = base.get(a.name()).data(), q = a.data();
                    int S = a.shape()[3];
                    for (int bb = 0; bb < B; bb++) {
                        for (int h = 0; h < H; h++) {
                            for (int t = 0; t < T; t++) {
                                if (!b.valid[bb * T + t]) continue;
                                int row = ((bb * H + h) * T + t) * S;
                                js[layer][h] += Divergence.js(p, row, q, row, S);
                            }
                        }
                    }
                });
                compare.add(tf.hookNames.attnOut[l], a -> addNorms(base.get(a.name()).data(), a.data(), b, d, attnDiff, attnBase, layer));
                compare.add(tf.hookNames.mlpOut[l], a -> addNorms(base.get(a.name()).data(), a.data(), b, d, mlpDiff, mlpBase, layer));
            }
            b.run(tf, steered, compare);
            for (boolean v : b.valid) if (v) queries[0]++;
        }
        return new Part(js, queries[0], attnDiff, attnBase, mlpDiff, mlpBase);
    }

    static Map<String, Object> finish(Part part) {
        int L = part.js.length, H = L == 0 ? 0 : part.js[0].length;
        List<Object> layers = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            List<Double> heads = new ArrayList<>();
            double mean = 0;
            for (int h = 0; h < H; h++) {
                double x = part.js[l][h] / Math.max(1, part.queries);
                heads.add(x);
                mean += x / H;
            }
            layers.add(Out.map("layer", l, "attn_js", heads, "attn_js_mean", mean,
                    "attn_out_norm_change", Out.num(Math.sqrt(part.attnDiff[l] / part.attnBase[l])),
                    "mlp_out_change", Out.num(Math.sqrt(part.mlpDiff[l] / part.mlpBase[l]))));
        }
        int block = penultimateBlock(L);
        Object penJs = block >= 1 ? ((Map<?, ?>) layers.get(block)).get("attn_js_mean") : null;
        Object penMlp = block >= 1 ? ((Map<?, ?>) layers.get(block)).get("mlp_out_change") : null;
        Object penAttn = block >= 1 ? ((Map<?, ?>) layers.get(block)).get("attn_out_norm_change") : null;
        return Out.map("layers", layers, "penultimate_block", block >= 1 ? block : null, "penultimate_attention_js", penJs,
                "penultimate_mlp_change", penMlp, "penultimate_attn_out_change", penAttn);
    }

    /** The block the penultimate vector (added after block L−2) can change: the last one, L−1. */
    static int penultimateBlock(int nLayers) {
        return nLayers - 1;
    }

    /** Adds ||steered − base||² and ||base||² over the batch's real tokens. */
    private static void addNorms(float[] base, float[] steered, Batch b, int d, double[] diff, double[] norm, int layer) {
        for (int n = 0; n < b.size * b.tokens; n++) {
            if (!b.valid[n]) continue;
            for (int i = 0; i < d; i++) {
                double x = base[n * d + i], y = steered[n * d + i];
                diff[layer] += (y - x) * (y - x);
                norm[layer] += x * x;
            }
        }
    }
}
