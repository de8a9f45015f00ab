package steerscope.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.model.Hooks;
import steerscope.model.Model;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.task.Problem;
import steerscope.tensor.Kernels;
import steerscope.tensor.Mat;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;

/**
 * The paper's circuit patching for the penultimate vector ({@code circuit.json}). The vector v of layer L−2,
 * added at every position, reaches the output only through block L−1 and the direct path. Each condition
 * changes how block L−1 reads it, by hooks on that block:
 * <ul>
 *   <li>skip_attention: the attention reads the residual without v (hook_resid_pre − v), the MLP reads the
 *       steered residual plus that attention output (v added back at hook_resid_mid);</li>
 *   <li>skip_layer: the whole block reads the residual without v, and v is added back after it;</li>
 *   <li>patch_{q,k,v}[_head_h | _group_g]: those query heads (or key/value groups) are computed from the
 *       residual without v, every other one from the steered residual; inverse_...: the opposite, only those
 *       read the steered residual (so inverse_q_head_h asks whether head h's queries alone carry the effect).</li>
 * </ul>
 * Each condition is scored by sampled accuracy (95% interval over problems, and its difference from the
 * unpatched steered model) and by the mean per-token KL(P_steered ‖ P_patched) on completions sampled from the
 * steered model (95% interval over sequences). The attention change of block L−1 is compared with a random
 * vector of the same norm at the same layer: the mean Jensen–Shannon divergence per prompt of each.
 */
final class Circuit {
    private Circuit() {}

    /** Which query heads and key / value groups of the block read the residual without the vector. */
    record Patch(String name, boolean[] q, boolean[] k, boolean[] v) {
        Patch inverse(String name) {
            return new Patch(name, not(q), not(k), not(v));
        }

        private static boolean[] not(boolean[] a) {
            boolean[] b = new boolean[a.length];
            for (int i = 0; i < a.length; i++) b[i] = !a[i];
            return b;
        }
    }

    /** Every patch: all q, all k, all v, then (when perHead) each head / group and its inverse. */
    static List<Patch> patches(ModelConfig c, boolean perHead) {
        int H = c.nHeads(), G = c.nKvHeads();
        List<Patch> out = new ArrayList<>();
        out.add(new Patch("patch_q", fill(H, true), new boolean[G], new boolean[G]));
        out.add(new Patch("patch_k", new boolean[H], fill(G, true), new boolean[G]));
        out.add(new Patch("patch_v", new boolean[H], new boolean[G], fill(G, true)));
        if (!perHead) return out;
        for (int h = 0; h < H; h++) {
            boolean[] q = new boolean[H];
            q[h] = true;
            Patch p = new Patch("patch_q_head_" + h, q, new boolean[G], new boolean[G]);
            out.add(p);
            out.add(p.inverse("inverse_q_head_" + h));
        }
        for (String which : List.of("k", "v")) {
            for (int g = 0; g < G; g++) {
                boolean[] sel = new boolean[G];
                sel[g] = true;
                Patch p = which.equals("k") ? new Patch("patch_k_group_" + g, new boolean[H], sel, new boolean[G])
                        : new Patch("patch_v_group_" + g, new boolean[H], new boolean[G], sel);
                out.add(p);
                out.add(p.inverse("inverse_" + which + "_group_" + g));
            }
        }
        return out;
    }

    private static boolean[] fill(int n, boolean x) {
        boolean[] a = new boolean[n];
        Arrays.fill(a, x);
        return a;
    }

    /** The block's attention reads the residual without v; its MLP reads the steered residual plus that attention output. */
    static Hooks skipAttention(Transformer tf, int block, float[] v) {
        return new Hooks().add(tf.hookNames.residPre[block], a -> addRows(a, v, -1f)).add(tf.hookNames.residMid[block], a -> addRows(a, v, 1f));
    }

    /** The whole block reads the residual without v; v is added back after it. */
    static Hooks skipLayer(Transformer tf, int block, float[] v) {
        return new Hooks().add(tf.hookNames.residPre[block], a -> addRows(a, v, -1f)).add(tf.hookNames.residPost[block], a -> addRows(a, v, 1f));
    }

    private static void addRows(Hooks.Activation a, float[] v, float sign) {
        int d = v.length;
        for (int n = 0; n < a.size() / d; n++) Kernels.axpy(sign, v, 0, a.data(), n * d, d);
    }

    /** The selected q heads / k, v groups of the block recomputed from hook_resid_pre − v. */
    static Hooks patch(Transformer tf, int block, float[] v, Patch p) {
        ModelConfig c = tf.config;
        ModelWeights.Layer w = tf.weights.layers[block];
        int d = c.hiddenSize(), hd = c.headDim();
        float[][] clean = new float[1][]; // this forward's normalised residual without v
        Hooks h = new Hooks().add(tf.hookNames.residPre[block], a -> {
            int n = a.size() / d;
            float[] x = a.data().clone();
            for (int r = 0; r < n; r++) Kernels.axpy(-1f, v, 0, x, r * d, d);
            float[] ln = new float[n * d];
            Kernels.rmsnorm(ln, x, w.attnNorm, null, n, d, c.rmsNormEps());
            clean[0] = ln;
        });
        h.add(tf.hookNames.attnQ[block], a -> replace(a, clean[0], w.wq, w.bq, p.q, hd));
        h.add(tf.hookNames.attnK[block], a -> replace(a, clean[0], w.wk, w.bk, p.k, hd));
        h.add(tf.hookNames.attnV[block], a -> replace(a, clean[0], w.wv, w.bv, p.v, hd));
        return h;
    }

    /** Overwrites the selected heads of a [N, heads, hd] projection with the projection of the clean input. */
    private static void replace(Hooks.Activation a, float[] ln, Mat wt, float[] bias, boolean[] heads, int hd) {
        boolean any = false;
        for (boolean x : heads) any |= x;
        if (!any) return;
        int width = heads.length * hd, n = a.size() / width;
        float[] proj = new float[n * width];
        Kernels.matmul(proj, ln, n, wt, bias);
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < heads.length; h++) if (heads[h]) System.arraycopy(proj, r * width + h * hd, a.data(), r * width + h * hd, hd);
        }
    }

    /**
     * @param penultimate the vector of layer L−2 alone
     * @param steeredSamples completions sampled from the steered model (the KL is measured on the first maxSequences)
     * @param steeredResult and their sampled accuracy; base: the base model's
     */
    static Map<String, Object> analyse(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts, SteeringVectors penultimate,
                                       Sampled.Result steeredResult, Sampled.Result base, Sampled.Options opt, int maxSequences, boolean perHead,
                                       int batch) {
        Transformer tf = model.transformer;
        int L = tf.config.nLayers(), block = L - 1;
        if (!penultimate.has(L - 2) || penultimate.layers().length != 1) throw new IllegalArgumentException("circuit patching needs the layer-" + (L - 2) + " vector alone");
        float[] v = penultimate.get(L - 2);
        Steering steered = Steering.of(penultimate);
        List<Sampled.Sample> seqs = steeredResult.samples().subList(0, Math.min(maxSequences, steeredResult.samples().size()));
        List<float[]> reference = new ArrayList<>();
        for (Sampled.Sample s : seqs) {
            int[] p = prompts.get(s.problem());
            reference.add(TeacherForcing.normed(tf, Sampled.concat(p, s.tokens()), p.length, steered, null));
        }
        List<Object> conditions = new ArrayList<>();
        conditions.add(condition("steered", model, tokenizer, problems, prompts, steered, null, steeredResult, base, seqs, reference, opt));
        conditions.add(condition("zeroed", model, tokenizer, problems, prompts, null, null, steeredResult, base, seqs, reference, opt));
        conditions.add(condition("skip_attention", model, tokenizer, problems, prompts, steered, skipAttention(tf, block, v), steeredResult, base, seqs, reference, opt));
        conditions.add(condition("skip_layer", model, tokenizer, problems, prompts, steered, skipLayer(tf, block, v), steeredResult, base, seqs, reference, opt));
        for (Patch p : patches(tf.config, perHead)) {
            conditions.add(condition(p.name(), model, tokenizer, problems, prompts, steered, patch(tf, block, v, p), steeredResult, base, seqs, reference, opt));
        }
        return Out.map("vector_layer", L - 2, "block", block, "k", opt.k(), "n_problems", problems.size(), "kl_sequences", seqs.size(),
                "attention_js", attentionControl(tf, prompts, penultimate, batch, opt.seed()),
                "conditions", conditions);
    }

    private static Map<String, Object> condition(String name, Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts,
                                                 Steering steering, Hooks hooks, Sampled.Result steered, Sampled.Result base,
                                                 List<Sampled.Sample> seqs, List<float[]> reference, Sampled.Options opt) {
        Transformer tf = model.transformer;
        int V = tf.config.vocabSize();
        Sampled.Result r = name.equals("steered") ? steered : Sampled.run(model, tokenizer, problems, prompts, steering, hooks, opt);
        double[] kl = new double[seqs.size()];
        for (int i = 0; i < seqs.size(); i++) {
            Sampled.Sample s = seqs.get(i);
            int[] p = prompts.get(s.problem());
            int c = s.tokens().length;
            float[] patched = TeacherForcing.normed(tf, Sampled.concat(p, s.tokens()), p.length, steering, hooks);
            double[] sum = {0};
            TeacherForcing.pairs(tf, reference.get(i), patched, p.length - 1, p.length - 1 + c,
                    (row, a, b, off) -> sum[0] += Divergence.klOfLogits(a, off, b, off, V));
            kl[i] = sum[0] / c;
        }
        long seed = opt.seed();
        return Out.map("name", name, "accuracy", Out.num(r.accuracy()[0]), "ci", List.of(Out.num(r.accuracy()[1]), Out.num(r.accuracy()[2])),
                "minus_steered", Out.interval(Bootstrap.meanDiff(r.perProblem(), steered.perProblem(), seed)),
                "retained", Out.interval(Bootstrap.ratio(Bootstrap.diff(r.perProblem(), base.perProblem()),
                        Bootstrap.diff(steered.perProblem(), base.perProblem()), seed)),
                "kl", Out.interval(Bootstrap.mean(kl, seed)));
    }

    /** Mean JS of block L−1's attention per prompt under the vector and under a random vector of its norm; and their difference. */
    static Map<String, Object> attentionControl(Transformer tf, List<int[]> prompts, SteeringVectors penultimate, int batch, long seed) {
        int L = tf.config.nLayers(), d = tf.config.hiddenSize(), block = L - 1;
        float[] v = penultimate.get(L - 2);
        SteeringVectors random = SteeringVectors.zeros(L, d, new int[] {L - 2});
        SplittableRandom r = new SplittableRandom(seed);
        double norm = SingleLayer.norm(v), rn = 0;
        float[] x = random.get(L - 2);
        for (int i = 0; i < d; i++) {
            x[i] = (float) r.nextGaussian();
            rn += (double) x[i] * x[i];
        }
        for (int i = 0; i < d; i++) x[i] *= (float) (norm / Math.sqrt(rn));
        double[] jsV = new double[prompts.size()], jsR = new double[prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            jsV[i] = meanJs(AttentionMlp.part(tf, List.of(prompts.get(i)), Steering.of(penultimate), batch), block);
            jsR[i] = meanJs(AttentionMlp.part(tf, List.of(prompts.get(i)), Steering.of(random), batch), block);
        }
        return Out.map("block", block, "vector", Out.interval(Bootstrap.mean(jsV, seed)), "random_same_norm", Out.interval(Bootstrap.mean(jsR, seed)),
                "vector_minus_random", Out.interval(Bootstrap.meanDiff(jsV, jsR, seed)));
    }

    private static double meanJs(AttentionMlp.Part p, int block) {
        double s = 0;
        for (double x : p.js()[block]) s += x;
        return s / p.js()[block].length / Math.max(1, p.queries());
    }
}
