package steerscope.model;

import java.util.ArrayList;
import java.util.List;

/**
 * L = −Σ w_t · log p(y_t) + β · Σ k_t · KL3_t, with the k3 estimator KL3 = e^d − d − 1, d = ref_t − log p(y_t),
 * against fixed reference log-probs. With w_t = advantage / normaliser this is the policy-gradient loss of
 * GRPO / RLOO; the KL term keeps the policy near the frozen base.
 * Token t of row b is scored when it and its predecessor are real tokens: row b*T + t-1 predicts ids[b][t].
 */
public final class WeightedLogProbLoss extends TokenLoss {
    private final float[] weights, klWeights, refLogprobs;
    private final float klCoef;

    private WeightedLogProbLoss(int[] rows, int[] targets, float[] weights, float[] klWeights, float[] refLogprobs, float klCoef) {
        super(rows, targets);
        this.weights = weights;
        this.klWeights = klWeights;
        this.refLogprobs = refLogprobs;
        this.klCoef = klCoef;
    }

    /**
     * From per-position arrays [B][T]: ids, mask, weights (and optional KL weights and reference log-probs,
     * null for none). Positions with zero weight and zero KL weight are not scored.
     */
    public static WeightedLogProbLoss of(int[][] ids, boolean[][] mask, float[][] weights, float[][] klWeights,
                                         float[][] refLogprobs, float klCoef) {
        int T = ids[0].length;
        List<int[]> picked = new ArrayList<>();
        for (int b = 0; b < ids.length; b++) {
            for (int t = 1; t < T; t++) {
                if (!mask[b][t] || !mask[b][t - 1]) continue;
                boolean kl = klWeights != null && klCoef != 0 && klWeights[b][t] != 0;
                if (weights[b][t] == 0 && !kl) continue;
                picked.add(new int[] {b, t});
            }
        }
        int n = picked.size();
        int[] rows = new int[n], targets = new int[n];
        float[] w = new float[n], kw = new float[n], ref = new float[n];
        for (int i = 0; i < n; i++) {
            int b = picked.get(i)[0], t = picked.get(i)[1];
            rows[i] = b * T + t - 1;
            targets[i] = ids[b][t];
            w[i] = weights[b][t];
            kw[i] = klWeights == null ? 0 : klWeights[b][t];
            ref[i] = refLogprobs == null ? 0 : refLogprobs[b][t];
        }
        return new WeightedLogProbLoss(rows, targets, w, kw, ref, klCoef);
    }

    @Override
    public double lossAndGrad(int i, float logp, float[] grad) {
        double loss = -(double) weights[i] * logp;
        double g = -weights[i];
        if (klCoef != 0 && klWeights[i] != 0) {
            double d = (double) refLogprobs[i] - logp;
            loss += klCoef * klWeights[i] * k3(d);
            g += klCoef * klWeights[i] * k3Grad(d);
        }
        grad[0] = (float) g;
        return loss;
    }
}
