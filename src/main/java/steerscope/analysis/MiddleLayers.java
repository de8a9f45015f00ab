package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import steerscope.model.SteeringVectors;
import steerscope.util.Bootstrap;

/**
 * Claim (iii), middle layers de-emphasise the distractor language ({@code middle_layers.json}): the bottom
 * {@link #K} weight-only logit-lens tokens of each middle-layer vector ({@link #layers}), pooled, and
 * the share of them that are distractor tokens, against chance (the distractor tokens' share of the
 * vocabulary). Interval: bootstrap over the pooled token slots. Without a distractor list the share is not
 * measured (null, with the reason).
 */
final class MiddleLayers {
    static final int K = 20;

    private MiddleLayers() {}

    /** The middle layers: from max(1, ⌊L/4⌋) to min(L−1, L − ⌊L/4⌋) exclusive (L = 3: layer 1; L = 24: 6..17). */
    static int[] layers(int L) {
        int lo = Math.max(1, L / 4), hi = Math.min(L - 1, L - L / 4);
        int[] out = new int[Math.max(0, hi - lo)];
        for (int i = 0; i < out.length; i++) out[i] = lo + i;
        return out;
    }

    static Map<String, Object> analyse(Lens lens, Vocab vocab, SteeringVectors vectors, int nLayers, Set<Integer> distractors, long seed) {
        List<Object> rows = new ArrayList<>();
        List<Double> hits = new ArrayList<>();
        for (int l : layers(nLayers)) {
            if (!vectors.has(l)) continue;
            int[] bottom = vocab.top(lens.ofDirection(vectors.get(l)), 0, K, false);
            int n = 0;
            List<Object> toks = new ArrayList<>();
            for (int id : bottom) {
                boolean hit = distractors != null && distractors.contains(id);
                if (hit) n++;
                hits.add(hit ? 1.0 : 0.0);
                toks.add(Out.map("id", id, "text", vocab.text(id), "distractor", distractors == null ? null : hit));
            }
            rows.add(Out.map("layer", l, "bottom", toks, "distractor_hits", distractors == null ? null : n));
        }
        if (distractors == null) {
            return Out.map("layers", rows, "distractor_share", null, "chance", null,
                    "reason", "no distractor token list was given (distractor_tokens.json next to the model, or --distractor-tokens)");
        }
        long inVocab = distractors.stream().filter(id -> id >= 0 && id < vocab.size).count();
        double chance = inVocab / (double) vocab.size;
        double[] x = hits.stream().mapToDouble(Double::doubleValue).toArray();
        return Out.map("layers", rows, "n_distractor_tokens", inVocab, "chance", chance,
                "distractor_share", Out.interval(Bootstrap.mean(x, seed)),
                "reason", rows.isEmpty() ? "no vector on a middle layer" : null);
    }
}
