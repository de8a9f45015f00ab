package steerscope.rl.reward;

import java.util.Objects;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;
import steerscope.verify.Extraction;

/**
 * 1 if the completion's final answer equals the problem's gold answer ({@link AnswerChecker}), else
 * {@code wrongReward} (0, or -1 as in the paper's code). With {@code boxedOnly} the final answer is the last
 * {@code \boxed{}} alone, as the paper's reward reads it: a completion without one is wrong; otherwise the
 * checker's fallbacks ("The answer is", the last number) apply too.
 */
public final class CorrectnessReward implements Reward {
    private final AnswerChecker checker;
    private final boolean boxedOnly;
    private final double wrongReward;

    public CorrectnessReward(AnswerChecker checker, boolean boxedOnly, double wrongReward) {
        this.checker = Objects.requireNonNull(checker, "checker");
        this.boxedOnly = boxedOnly;
        this.wrongReward = wrongReward;
    }

    /** 1 / 0 with the checker's fallbacks: what evaluation counts as correct. */
    public CorrectnessReward() {
        this(new AnswerChecker(), false, 0.0);
    }

    /** The reward an RL run optimises: {@code negReward} for a wrong answer, the last box only if {@code boxedOnly}. */
    public static CorrectnessReward of(boolean boxedOnly, double negReward) {
        return new CorrectnessReward(new AnswerChecker(), boxedOnly, negReward);
    }

    @Override
    public String name() {
        return "correctness";
    }

    @Override
    public double score(Problem problem, String completion) {
        return correct(problem, completion) ? 1.0 : wrongReward;
    }

    private boolean correct(Problem problem, String completion) {
        return checker.matches(completion, problem.answer(), boxedOnly ? Extraction.BOXED_ONLY : Extraction.BOXED_THEN_FALLBACK);
    }
}
