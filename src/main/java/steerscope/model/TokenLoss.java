package steerscope.model;

/**
 * A loss that is a sum over scored tokens of a function of each token's log-probability:
 * L = Σ_i f_i(log p(target_i | prefix)). Row i of the forward's token rows predicts target i.
 * The backward asks {@link #lossAndGrad} for f_i and df_i/dlogp at the model's current log-prob.
 */
public abstract class TokenLoss {
    private final int[] rows, targets;

    protected TokenLoss(int[] rows, int[] targets) {
        if (rows.length != targets.length) throw new IllegalArgumentException(rows.length + " rows for " + targets.length + " targets");
        this.rows = rows;
        this.targets = targets;
    }

    /** Number of scored tokens. */
    public final int count() {
        return rows.length;
    }

    /** The token row (b * T + t) whose logits predict scored token i. */
    public final int row(int i) {
        return rows[i];
    }

    /** The token id scored at i. */
    public final int target(int i) {
        return targets[i];
    }

    /** Returns f_i(logp) and stores df_i/dlogp in grad[0]. */
    public abstract double lossAndGrad(int i, float logp, float[] grad);

    /**
     * The k3 estimate of KL(policy || reference) at one token, e^d − d − 1, from d = log p_ref − log p_policy of the
     * sampled token (unbiased, never negative); the one place the formula is written.
     */
    public static double k3(double d) {
        return StrictMath.exp(d) - d - 1;
    }

    /** d k3 / d log p_policy = 1 − e^d. */
    public static double k3Grad(double d) {
        return 1 - StrictMath.exp(d);
    }
}
