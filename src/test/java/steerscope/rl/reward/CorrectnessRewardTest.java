package steerscope.rl.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import steerscope.task.Problem;

/** The paper's reward: +1 / -1, and only the last \boxed{} is read. */
class CorrectnessRewardTest {
    private static final Problem P = new Problem("p", "What is 7 + 5 - 3?", "9");

    @Test
    void boxedOnlyReadsTheLastBoxAndNothingElse() {
        Reward paper = CorrectnessReward.of(true, -1.0);
        assertEquals(1.0, paper.score(P, " Step 1: 7 + 5 = 12.\nStep 2: 12 - 3 = 9.\nThe answer is \\boxed{9}."));
        assertEquals(-1.0, paper.score(P, " The answer is 9."));          // right number, but no box
        assertEquals(-1.0, paper.score(P, " 7 + 5 - 3 = 9"));              // last number right, no box
        assertEquals(-1.0, paper.score(P, " \\boxed{9} then \\boxed{8}")); // only the last box counts
        assertEquals(1.0, paper.score(P, " \\boxed{8} then \\boxed{9}"));
        assertEquals(-1.0, paper.score(P, ""));
    }

    @Test
    void withFallbackTheAnswerPhraseAndLastNumberCount() {
        Reward fallback = CorrectnessReward.of(false, 0.0);
        assertEquals(1.0, fallback.score(P, " The answer is 9."));
        assertEquals(1.0, fallback.score(P, " 7 + 5 - 3 = 9"));
        assertEquals(0.0, fallback.score(P, " The answer is 8."));
    }

    @Test
    void negativeRewardIsConfigurable() {
        assertEquals(0.0, CorrectnessReward.of(true, 0.0).score(P, "no"));
        assertEquals(-0.5, CorrectnessReward.of(true, -0.5).score(P, "no"));
    }
}
