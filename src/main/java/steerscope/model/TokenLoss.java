package steerscope.model;

/**
 * A loss that is a sum over scored tokens of a function of each token's log-probability:
 * L = Σ_i f_i(log p(target_i | prefix)). Row i of the forward's token rows predicts target i.
 * The backward asks {@link #lossAndGrad} for f_i and df_i/dlogp at the model's current log-prob.
 */
public interface TokenLoss {
    /** Number of scored tokens. */
    int count();

    /** The token row (b * T + t) whose logits predict scored token i. */
    int row(int i);

    /** The token id scored at i. */
    int target(int i);

    /** Returns f_i(logp) and stores df_i/dlogp in grad[0]. */
    double lossAndGrad(int i, float logp, float[] grad);
}
