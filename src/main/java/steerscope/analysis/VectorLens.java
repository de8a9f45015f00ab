package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.model.SteeringVectors;

/**
 * Analysis 1, the logit lens of the vectors themselves ({@code logit_lens_vectors.json}). Each layer's vector
 * is read as {@code unembed(final_norm.weight ⊙ v)} ("top"/"bottom", logits before the norm's 1/rms scale),
 * and "scaled": the same logits times sqrt(d)/R_l, which is what the final RMSNorm would multiply v by in a
 * residual stream of norm R_l, R_l being the median norm of {@code hook_resid_post} of layer l over the
 * prompts' tokens in the steered model. The ranking is the same; the values are in the units of real logits.
 * {@code cos_mean_resid} is the cosine of v with the mean of {@code hook_resid_post} of layer l in the base
 * model (no vectors), over the prompts' tokens.
 */
final class VectorLens {
    static final int TOP = 20;

    private VectorLens() {}

    static Map<String, Object> analyse(Lens lens, Vocab vocab, SteeringVectors vectors, ResidualStats base, ResidualStats steered) {
        int d = lens.d;
        List<Object> layers = new ArrayList<>();
        for (int l : vectors.layers()) {
            float[] v = vectors.get(l);
            float[] logits = lens.ofDirection(v);
            double scale = Math.sqrt(d) / steered.medianNorm[l];
            float[] scaled = new float[logits.length];
            for (int i = 0; i < logits.length; i++) scaled[i] = (float) (logits[i] * scale);
            layers.add(Out.map(
                    "layer", l,
                    "norm", vectors.norm(l),
                    "top", vocab.entries(vocab.top(logits, 0, TOP, true), logits, 0),
                    "bottom", vocab.entries(vocab.top(logits, 0, TOP, false), logits, 0),
                    "top_scaled", vocab.entries(vocab.top(scaled, 0, TOP, true), scaled, 0),
                    "bottom_scaled", vocab.entries(vocab.top(scaled, 0, TOP, false), scaled, 0),
                    "resid_norm", Out.num(steered.medianNorm[l]),
                    "cos_mean_resid", Out.num(Divergence.cosine(v, base.mean[l]))));
        }
        int[] ls = vectors.layers();
        List<List<Double>> cos = new ArrayList<>();
        for (int a : ls) {
            List<Double> row = new ArrayList<>();
            for (int b : ls) row.add(Out.num(Divergence.cosine(vectors.get(a), vectors.get(b))));
            cos.add(row);
        }
        return Out.map("layers", layers, "vector_layers", ls, "cosine", cos);
    }

    /** The tokens the vectors push most: the top k of the lens of the last layer that has a vector. */
    static int[] tracked(Lens lens, Vocab vocab, SteeringVectors vectors, int k) {
        int[] ls = vectors.layers();
        if (ls.length == 0) return new int[0];
        return vocab.top(lens.ofDirection(vectors.get(ls[ls.length - 1])), 0, k, true);
    }
}
