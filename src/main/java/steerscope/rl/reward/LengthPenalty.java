package steerscope.rl.reward;

import steerscope.task.Problem;

/**
 * {@code -perToken * max(0, tokens - budget)}, floored at {@code -maxPenalty}: nothing within the budget,
 * then a linear cost per token over it. The token count comes from the caller (who has the generated ids)
 * through {@link #score(Problem, String, int)}.
 */
public final class LengthPenalty implements Reward {
    private final int budget;
    private final double perToken;
    private final double maxPenalty;

    /** No cap on the penalty. */
    public LengthPenalty(int budget, double perToken) {
        this(budget, perToken, Double.POSITIVE_INFINITY);
    }

    public LengthPenalty(int budget, double perToken, double maxPenalty) {
        if (budget < 0) {
            throw new IllegalArgumentException("length budget must be >= 0, got " + budget);
        }
        if (!(perToken >= 0) || Double.isInfinite(perToken)) {
            throw new IllegalArgumentException("per-token penalty must be finite and >= 0, got " + perToken);
        }
        if (!(maxPenalty >= 0)) {
            throw new IllegalArgumentException("max penalty must be >= 0, got " + maxPenalty);
        }
        this.budget = budget;
        this.perToken = perToken;
        this.maxPenalty = maxPenalty;
    }

    @Override
    public String name() {
        return "length";
    }

    /** The penalty (zero or negative) for a completion of {@code tokens} tokens. */
    public double penalty(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("token count must be >= 0, got " + tokens);
        }
        long over = Math.max(0L, (long) tokens - budget);
        return over == 0 ? 0.0 : -Math.min(maxPenalty, perToken * over);
    }

    @Override
    public double score(Problem problem, String completion, int completionTokens) {
        return penalty(completionTokens);
    }

    @Override
    public double score(Problem problem, String completion) {
        throw new IllegalStateException("LengthPenalty needs the completion's token count: call score(problem, completion, tokens)");
    }
}
