package steerscope.rl.reward;

import steerscope.task.Problem;

/**
 * A scalar score of one completion to one problem, for RL with verifiable rewards. Implementations are
 * deterministic and stateless, so they may be called from several threads.
 */
public interface Reward {
    /** Short metric name, e.g. "correctness"; unique within a {@link CompositeReward}. */
    String name();

    double score(Problem problem, String completion);

    /**
     * The same with the completion's length in tokens, which the caller has from generation; rewards that
     * do not look at length ignore it. {@link LengthPenalty} needs this form unless it was given a counter.
     */
    default double score(Problem problem, String completion, int completionTokens) {
        return score(problem, completion);
    }
}
