package steerscope.rl.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.task.Problem;

class RewardsTest {
    private static final Problem P = new Problem("p1", "What is 3/4 of 24?", "18");

    @Test
    void correctnessIsOneOrZero() {
        Reward r = new CorrectnessReward();
        assertEquals("correctness", r.name());
        assertEquals(1.0, r.score(P, "3/4 of 24 is 18, so \\boxed{18}."));
        assertEquals(1.0, r.score(P, "The answer is $18."));
        assertEquals(0.0, r.score(P, "I guess \\boxed{19}"));
        assertEquals(0.0, r.score(P, "18? no: \\boxed{180}"));
        assertEquals(0.0, r.score(P, "no idea"));
        assertEquals(0.0, r.score(P, ""));
        // the token count is ignored by rewards that do not use it
        assertEquals(1.0, r.score(P, "\\boxed{18}", 5000));
    }

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("so we get \\boxed{18}", 1.0),
                Arguments.of("so we get $\\boxed{18}$.", 1.0),
                Arguments.of("so we get \\[\\boxed{18}\\]\n", 1.0),
                Arguments.of("**Answer:** \\boxed{\\frac{1}{2}}  ", 1.0),
                Arguments.of("\\fbox{18}", 1.0),
                Arguments.of("\\boxed{18} because 3/4 of 24 is 18.", 0.0),  // prose after the box
                Arguments.of("\\boxed{17} no wait \\boxed{18}", 0.0),       // two boxes
                Arguments.of("so we get \\boxed{18", 0.0),                  // truncated
                Arguments.of("so we get \\boxed{}", 0.0),                   // empty
                Arguments.of("so we get \\boxed 18", 0.0),                  // no braces
                Arguments.of("the answer is 18", 0.0),
                Arguments.of("", 0.0));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @MethodSource("formats")
    void formatRewardsOneBoxAtTheEnd(String completion, double expected) {
        assertEquals(expected, FormatReward.boxedAtEnd().score(P, completion));
    }

    @Test
    void formatRewardWithOwnRegex() {
        Reward r = FormatReward.matching("think-tags", Pattern.compile("(?s)^<think>.*</think>"));
        assertEquals("think-tags", r.name());
        assertEquals(1.0, r.score(P, "<think>\n3/4 * 24\n</think> 18"));
        assertEquals(0.0, r.score(P, "18 <think></think>"));
    }

    @Test
    void lengthPenaltyIsLinearOverTheBudgetAndCapped() {
        LengthPenalty r = new LengthPenalty(100, 0.01, 0.5);
        assertEquals("length", r.name());
        assertEquals(0.0, r.score(P, "x", 0));
        assertEquals(0.0, r.score(P, "x", 100));
        assertEquals(-0.01, r.score(P, "x", 101), 1e-12);
        assertEquals(-0.25, r.score(P, "x", 125), 1e-12);
        assertEquals(-0.5, r.score(P, "x", 150), 1e-12);
        assertEquals(-0.5, r.score(P, "x", 100_000), 1e-12);  // capped
        assertEquals(-1000.0, new LengthPenalty(0, 1.0).penalty(1000), 1e-12); // uncapped
    }

    @Test
    void lengthPenaltyNeedsACount() {
        LengthPenalty r = new LengthPenalty(3, 1.0);
        assertThrows(IllegalStateException.class, () -> r.score(P, "a b c d e"));
        assertEquals(-2.0, r.score(P, "a b c d e", 5), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> r.penalty(-1));
        assertThrows(IllegalArgumentException.class, () -> new LengthPenalty(-1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new LengthPenalty(1, -1.0));
        assertThrows(IllegalArgumentException.class, () -> new LengthPenalty(1, Double.NaN));
    }

    @Test
    void compositeIsTheWeightedSumWithABreakdown() {
        CompositeReward r = CompositeReward.builder()
                .add(new CorrectnessReward(), 1.0)
                .add(FormatReward.boxedAtEnd(), 0.2)
                .add(new LengthPenalty(10, 0.1), 1.0)
                .build();
        String right = "3/4 of 24 is 18, so \\boxed{18}";
        Map<String, Double> b = r.breakdown(P, right, 15);
        assertEquals(List.of("correctness", "format", "length"), List.copyOf(b.keySet()));
        assertEquals(1.0, b.get("correctness"), 1e-12);
        assertEquals(0.2, b.get("format"), 1e-12);
        assertEquals(-0.5, b.get("length"), 1e-12);
        assertEquals(1.0 + 0.2 - 0.5, r.score(P, right, 15), 1e-12);

        // right number, wrong form (prose after the box), within budget
        String prose = "\\boxed{18} is it";
        assertEquals(Map.of("correctness", 1.0, "format", 0.0, "length", 0.0), r.breakdown(P, prose, 4));
        // wrong answer, good form, over budget
        assertEquals(0.0 + 0.2 - 1.0, r.score(P, "\\boxed{17}", 20), 1e-12);
        // the length part cannot score without a count
        assertThrows(IllegalStateException.class, () -> r.score(P, right));
    }

    @Test
    void compositeWithoutLengthNeedsNoCount() {
        CompositeReward r = CompositeReward.builder().name("math").add(new CorrectnessReward(), 2.0).build();
        assertEquals("math", r.name());
        assertEquals(2.0, r.score(P, "\\boxed{18}"));
        assertEquals(Map.of("correctness", 0.0), r.breakdown(P, "\\boxed{1}"));
    }

    @Test
    void compositeRejectsBadParts() {
        assertThrows(IllegalArgumentException.class, () -> CompositeReward.builder().build());
        assertThrows(IllegalArgumentException.class, () -> CompositeReward.builder()
                .add(new CorrectnessReward(), 1.0).add(new CorrectnessReward(), 0.5).build());
        assertThrows(IllegalArgumentException.class, () -> CompositeReward.builder()
                .add(new CorrectnessReward(), Double.NaN).build());
    }
}
