package steerscope.rl.reward;

import java.util.Objects;
import java.util.function.ToIntFunction;
import steerscope.task.Problem;

/**
 * {@code -perToken * max(0, tokens - budget)}, floored at {@code -maxPenalty}: nothing within the budget,
 * then a linear cost per token over it. The token count comes from the caller (who has the generated ids)
 * through {@link #score(Problem, String, int)}, or from a counter given with {@link #withTokenCounter}.
 */
public final class LengthPenalty implements Reward {
    private final int budget;
    private final double perToken;
    private final double maxPenalty;
    private final ToIntFunction<String> tokenCounter; // null: the caller must pass the count

    public LengthPenalty(int budget, double perToken, double maxPenalty) {
        this(budget, perToken, maxPenalty, null);
    }

    /** No cap on the penalty. */
    public LengthPenalty(int budget, double perToken) {
        this(budget, perToken, Double.POSITIVE_INFINITY, null);
    }

    private LengthPenalty(int budget, double perToken, double maxPenalty, ToIntFunction<String> tokenCounter) {
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
        this.tokenCounter = tokenCounter;
    }

    /** A copy that counts tokens itself (e.g. with the model's tokenizer) when called without a count. */
    public LengthPenalty withTokenCounter(ToIntFunction<String> counter) {
        return new LengthPenalty(budget, perToken, maxPenalty, Objects.requireNonNull(counter));
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
        if (tokenCounter == null) {
            throw new IllegalStateException("LengthPenalty needs the completion's token count: call score(problem, completion, tokens) or use withTokenCounter");
        }
        return penalty(tokenCounter.applyAsInt(completion));
    }
}
