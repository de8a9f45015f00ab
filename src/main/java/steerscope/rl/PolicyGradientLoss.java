package steerscope.rl;

import steerscope.model.TokenLoss;

/**
 * The per-token policy-gradient loss over completion tokens: L = Σ_t c_t · ℓ_t with
 * ℓ_t = −min(r_t·A, clip(r_t, 1−ε, 1+ε)·A) + β·KL3_t, r_t = exp(logp_t − old_t), KL3 = e^d − d − 1 with
 * d = ref_t − logp_t. c_t carries the aggregation (1/tokens, 1/|o_i|/n, ...). With one inner epoch
 * old = logp, so r = 1 and the gradient is plain REINFORCE: −c·A·∇logp.
 */
public final class PolicyGradientLoss extends TokenLoss {
    private final float[] coef, advantage, oldLogp, refLogp;
    private final double clipEps, klBeta;

    public PolicyGradientLoss(int[] rows, int[] targets, float[] coef, float[] advantage, float[] oldLogp, float[] refLogp,
                              double clipEps, double klBeta) {
        super(rows, targets);
        this.coef = coef;
        this.advantage = advantage;
        this.oldLogp = oldLogp;
        this.refLogp = refLogp;
        this.clipEps = clipEps;
        this.klBeta = klBeta;
    }

    @Override
    public double lossAndGrad(int i, float logp, float[] grad) {
        double a = advantage[i], c = coef[i];
        double loss, g;
        if (oldLogp == null) { // first epoch: ratio 1, nothing clipped
            loss = -a * logp;  // value of the surrogate up to a constant; gradient is exact
            g = -a;
        } else {
            double r = StrictMath.exp(logp - oldLogp[i]);
            double clipped = Math.max(1 - clipEps, Math.min(1 + clipEps, r));
            double unclippedObj = r * a, clippedObj = clipped * a;
            if (unclippedObj <= clippedObj) { // min picks the unclipped branch: gradient flows
                loss = -unclippedObj;
                g = -a * r;
            } else {
                loss = -clippedObj;
                g = 0;
            }
        }
        if (klBeta != 0 && refLogp != null) {
            double d = (double) refLogp[i] - logp;
            loss += klBeta * k3(d);
            g += klBeta * k3Grad(d);
        }
        grad[0] = (float) (c * g);
        return c * loss;
    }
}
