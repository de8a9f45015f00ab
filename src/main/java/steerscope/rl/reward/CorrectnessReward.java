package steerscope.rl.reward;

import java.util.Objects;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;

/** 1 if the completion's final answer equals the problem's gold answer ({@link AnswerChecker}), else 0. */
public final class CorrectnessReward implements Reward {
    private final AnswerChecker checker;

    public CorrectnessReward(AnswerChecker checker) {
        this.checker = Objects.requireNonNull(checker, "checker");
    }

    public CorrectnessReward() {
        this(new AnswerChecker());
    }

    @Override
    public String name() {
        return "correctness";
    }

    @Override
    public double score(Problem problem, String completion) {
        return checker.matches(completion, problem.answer()) ? 1.0 : 0.0;
    }
}
