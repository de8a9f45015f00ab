package steerscope.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.task.synth.AnswerStyle;
import steerscope.task.synth.ArithmeticGenerator;
import steerscope.task.synth.ArithmeticProblem;
import steerscope.task.synth.PromptFormat;

/** Hand-written cases, one group per rule of the verifier (see docs/verifier.md); none copied from math_verify. */
class MathVerifierTest {
    private final MathVerifier verifier = new MathVerifier();

    // ---- {gold, prediction (a completion), expected} ----
    static Stream<Arguments> cases() {
        return Stream.of(
                // exact rationals in every spelling
                Arguments.of("-7/4", "so it is \\boxed{-\\frac{7}{4}}", true),
                Arguments.of("2/5", "\\boxed{\\frac25}", true),
                Arguments.of("1", "\\boxed{\\frac4{4}}", true),
                Arguments.of("2/7", "\\boxed{\\cfrac{2}{7}}", true),
                Arguments.of("2/7", "\\boxed{\\dfrac{4}{14}}", true),
                Arguments.of("2/7", "\\boxed{\\frac{2}{9}}", false),
                Arguments.of("0.25", "\\boxed{\\frac{1}{4}}", true),
                Arguments.of("3\\frac{1}{4}", "\\boxed{13/4}", true),       // a mixed number is a sum
                // decimals are compared to 6 places
                Arguments.of("\\frac{2}{3}", "\\boxed{0.6666667}", true),
                Arguments.of("\\frac{2}{3}", "\\boxed{0.667}", false),
                Arguments.of("1.5", "\\boxed{1.50}", true),
                // thousands separators, and a decimal comma only in running text
                Arguments.of("25000", "\\boxed{25{,}000}", true),
                Arguments.of("25000", "\\boxed{25,\\!000}", true),
                Arguments.of("25000", "The total is 25 000 now", true),
                Arguments.of("3.75", "Le prix est 3,75 euros", true),
                Arguments.of("\\{3, 75\\}", "\\boxed{3,75}", true),
                // algebraic numbers
                Arguments.of("\\frac{\\sqrt{2}}{2}", "\\boxed{\\sqrt{2}/2}", true),
                Arguments.of("\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt2}}", true),
                Arguments.of("2\\sqrt{7}", "\\boxed{\\sqrt{28}}", true),
                Arguments.of("2\\sqrt{7}", "\\boxed{\\sqrt{27}}", false),
                Arguments.of("5", "\\boxed{5\\sqrt{3}}", false),
                Arguments.of("\\sqrt[3]{8}", "\\boxed{2}", true),
                Arguments.of("\\frac{\\pi}{3}", "\\boxed{60\\pi/180}", true),
                // symbolic equality
                Arguments.of("(a+2)^2", "\\boxed{a^2+4a+4}", true),
                Arguments.of("(a+2)^2", "\\boxed{a^2+4}", false),
                Arguments.of("\\frac{t+3}{5}", "\\boxed{\\frac{t}{5}+\\frac35}", true),
                Arguments.of("\\cos^2 u", "\\boxed{1-\\sin^2(u)}", true),
                Arguments.of("2m+1", "\\boxed{2n+1}", false),               // names of variables matter
                Arguments.of("w", "\\boxed{|w|}", false),                     // not for negative w
                Arguments.of("w", "\\boxed{\\sqrt{w^2}}", false),
                Arguments.of("\\sqrt{w}", "\\boxed{w^{1/2}}", true),             // defined for w > 0 only
                Arguments.of("\\ln(w^2)", "\\boxed{2\\ln|w|}", true),
                Arguments.of("3 \\cos b \\sin a", "\\boxed{3\\sin a\\cos b}", true),
                // intervals and unions
                Arguments.of("[2,5)", "\\boxed{[2,5)}", true),
                Arguments.of("[2,5)", "\\boxed{(2,5)}", false),
                Arguments.of("[2,5)", "\\boxed{[2,5]}", false),
                Arguments.of("(-\\infty, 1] \\cup (4, \\infty)", "\\boxed{(-\\infty,1]\\cup(4,+\\infty)}", true),
                Arguments.of("(-\\infty, 1] \\cup (4, \\infty)", "\\boxed{(-\\infty,1)\\cup(4,\\infty)}", false),
                // sets are unordered, tuples ordered
                Arguments.of("\\{4, -1\\}", "\\boxed{\\{-1, 4\\}}", true),
                Arguments.of("4; -1", "\\boxed{-1, 4}", true),
                Arguments.of("(4, -1)", "\\boxed{(-1, 4)}", false),
                Arguments.of("(4, -1)", "\\boxed{(4, -1)}", true),
                Arguments.of("2 \\pm \\sqrt{5}", "\\boxed{2+\\sqrt5, 2-\\sqrt5}", true),
                Arguments.of("2 \\pm \\sqrt{5}", "\\boxed{2+\\sqrt5}", false),
                Arguments.of("3, 8", "\\boxed{3} and \\boxed{8}", true),
                Arguments.of("3, 8", "so $a = \\boxed{3}$ and $b = \\boxed{8}$", true),
                Arguments.of("3, 8", "so $a = \\boxed{3}$ and $b = 2 + \\boxed{8}$", false),
                Arguments.of("a=1,b=2;a=3,b=4", "\\boxed{(3,4),(1,2)}", true),
                Arguments.of("a=1,b=2;a=3,b=4", "\\boxed{(1,4),(3,2)}", false),
                // equations and inequalities up to rearrangement
                Arguments.of("y \\le 4", "\\boxed{4 \\ge y}", true),
                Arguments.of("y < 4", "\\boxed{-y > -4}", true),
                Arguments.of("y < 4", "\\boxed{3y < 12}", true),
                Arguments.of("y < 4", "\\boxed{y > 4}", false),
                Arguments.of("y < 4", "\\boxed{y \\le 4}", false),
                Arguments.of("3a - 6b = 9", "\\boxed{a = 2b + 3}", true),
                Arguments.of("3a - 6b = 9", "\\boxed{a = 2b - 3}", false),
                Arguments.of("k = 12", "\\boxed{12}", true),
                Arguments.of("12", "\\boxed{k = 12}", true),
                Arguments.of("5 = 2u + v", "\\boxed{2u+v}", false),          // not an assignment: 5 has numbers
                Arguments.of("-3 < t < 8", "\\boxed{(-3, 8)}", true),
                Arguments.of("t \\geq 2", "\\boxed{[2, \\infty)}", true),
                // matrices
                Arguments.of("\\begin{pmatrix} 2 & 0 \\\\ -1 & 3 \\end{pmatrix}",
                        "\\boxed{\\begin{bmatrix} 2 & 0 \\\\ -1 & 3 \\end{bmatrix}}", true),
                Arguments.of("\\begin{pmatrix} 2 & 0 \\\\ -1 & 3 \\end{pmatrix}",
                        "\\boxed{\\left[\\begin{array}{cc} 2 & 0 \\\\ -1 & \\frac{6}{2} \\end{array}\\right]}", true),
                Arguments.of("\\begin{pmatrix} 2 & 0 \\\\ -1 & 3 \\end{pmatrix}",
                        "\\boxed{\\begin{pmatrix} 2 & 0 \\\\ 1 & 3 \\end{pmatrix}}", false),
                Arguments.of("\\begin{pmatrix} 2 \\\\ 0 \\end{pmatrix}", "\\boxed{\\begin{pmatrix} 2 & 0 \\end{pmatrix}}", false),
                Arguments.of("\\begin{pmatrix} 4 & 1 \\\\ 2 & 3 \\end{pmatrix}",
                        "\\boxed{\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix} + \\begin{pmatrix} 3 & 0 \\\\ 2 & 2 \\end{pmatrix}}", true),
                Arguments.of("\\begin{pmatrix} 2 & 2 \\\\ 1 & 3 \\end{pmatrix}",
                        "\\boxed{\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix} \\begin{pmatrix} 1 & -1 \\\\ 1 & 3 \\end{pmatrix}}", true),
                Arguments.of("\\begin{pmatrix} 2 & 2 \\\\ 1 & 3 \\end{pmatrix}",
                        "\\boxed{\\begin{pmatrix} 1 & -1 \\\\ 1 & 3 \\end{pmatrix} \\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix}}", false),
                Arguments.of("\\begin{pmatrix} 2 & 4 \\end{pmatrix}", "\\boxed{2\\begin{pmatrix} 1 & 2 \\end{pmatrix}}", true),
                // percentages and units
                Arguments.of("35\\%", "\\boxed{35 percent}", true),
                Arguments.of("35\\%", "\\boxed{0.35}", true),
                Arguments.of("35\\%", "\\boxed{35}", true),
                Arguments.of("35\\%", "\\boxed{3.5}", false),
                Arguments.of("42", "\\boxed{42 \\text{ meters}}", true),
                Arguments.of("42", "\\boxed{42\\mbox{ cm}^2}", true),
                Arguments.of("42", "\\boxed{\\$42}", true),
                Arguments.of("42", "\\boxed{42^\\circ}", true),
                Arguments.of("2", "\\boxed{2x}", false),
                // words
                Arguments.of("\\text{Tuesday}", "\\boxed{\\text{tuesday}}", true),
                Arguments.of("\\text{Tuesday}", "\\boxed{\\text{Monday}}", false),
                Arguments.of("\\text{(C)}", "\\boxed{C}", true),
                // extraction: the last box; without one, the answer phrase or the last math
                Arguments.of("9", "First \\boxed{8}, on reflection \\boxed{9}", true),
                Arguments.of("8", "First \\boxed{8}, on reflection \\boxed{9}", false),
                Arguments.of("9", "So the final answer is $9$. I hope it is correct.", true),
                Arguments.of("9", "We add 4 and 5 to get $9$.", true),
                Arguments.of("9", "No answer here", false));
    }

    @ParameterizedTest(name = "[{index}] gold \"{0}\" vs \"{1}\" -> {2}")
    @MethodSource("cases")
    void verdict(String gold, String completion, boolean expected) {
        Verdict v = verifier.verify(gold, completion, Extraction.BOXED_THEN_FALLBACK);
        assertEquals(expected, v.correct(), v.toString());
    }

    @Test
    void boxedOnlyIgnoresUnboxedAnswers() {
        assertFalse(verifier.matches("The answer is 9.", "9", Extraction.BOXED_ONLY));
        assertTrue(verifier.matches("The answer is 9.", "9", Extraction.BOXED_THEN_FALLBACK));
        assertTrue(verifier.matches("The answer is \\boxed{9}.", "9", Extraction.BOXED_ONLY));
        assertFalse(verifier.matches("The answer is \\boxed{9", "9", Extraction.BOXED_ONLY)); // truncated box
        assertEquals(Optional.empty(), verifier.extract("The answer is 9.", Extraction.BOXED_ONLY));
        assertEquals(Optional.of("9"), verifier.extract("The answer is 9.", Extraction.BOXED_THEN_FALLBACK));
    }

    @Test
    void verdictNamesTheExtractedAnswersAndTheReason() {
        Verdict v = verifier.verify("\\frac{1}{2}", "Thus \\boxed{0.5}.", Extraction.BOXED_ONLY);
        assertTrue(v.correct());
        assertEquals("\\frac{1}{2}", v.gold());
        assertEquals("0.5", v.predicted());
        assertEquals("boxed", v.extractedBy());
        Verdict none = verifier.verify("1", "nothing", Extraction.BOXED_ONLY);
        assertFalse(none.correct());
        assertEquals("no answer found", none.reason());
    }

    @Test
    void aHostileComparisonTimesOutInsteadOfHanging() {
        // two 900-element sets in opposite orders: matching them costs 400k symbolic comparisons
        StringBuilder a = new StringBuilder("\\{");
        StringBuilder b = new StringBuilder("\\{");
        for (int i = 0; i < 900; i++) {
            a.append(i == 0 ? "" : ",").append("x+").append(i);
            b.append(i == 0 ? "" : ",").append("x+").append(899 - i);
        }
        MathVerifier limited = new MathVerifier(MathVerifier.DEFAULT_DIGITS, Duration.ofMillis(50));
        Verdict v = limited.verify(a + "\\}", "\\boxed{" + b + "\\}}", Extraction.BOXED_ONLY);
        assertFalse(v.correct());
        assertEquals("timeout", v.reason());
    }

    @Test
    void hugeOrDeepAnswersEndWithAVerdict() {
        assertFalse(verifier.matches("\\boxed{10^{10^{10^{10}}}}", "1", Extraction.BOXED_ONLY));
        assertFalse(verifier.matches("\\boxed{99999!}", "1", Extraction.BOXED_ONLY));
        assertTrue(verifier.matches("\\boxed{2^{100}}", "1267650600228229401496703205376", Extraction.BOXED_ONLY));
        assertFalse(verifier.matches("\\boxed{" + "(".repeat(5000) + "1" + ")".repeat(5000) + "}", "1", Extraction.BOXED_ONLY));
        assertTrue(verifier.matches("\\boxed{" + "1+".repeat(500) + "1}", "501", Extraction.BOXED_ONLY));
        assertFalse(verifier.matches("\\boxed{" + "1+".repeat(5000) + "1}", "5001", Extraction.BOXED_ONLY)); // over the node limit
    }

    @Test
    void malformedAnswersGiveAVerdict() {
        String[] preds = {"\\boxed{$$\\boxed{x = 1, y = 2}$$}", "\\boxed{\\frac{1}{0}}", "\\boxed{)(}", "\\boxed{\\begin{pmatrix}1 & 2}",
                "\\boxed{[1, 2, 3)}", "\\boxed{x = }", "\\boxed{\\sqrt}", "\\boxed{0^{-1}}", "\\boxed{\\text{}}", "\\boxed{|}", "$$", "\\boxed{{{}}}"};
        for (String p : preds) {
            Verdict v = verifier.verify("1", p, Extraction.BOXED_THEN_FALLBACK);
            assertFalse(v.correct(), p + " -> " + v);
        }
        assertTrue(verifier.matches("\\boxed{\\boxed{7}}", "7", Extraction.BOXED_ONLY)); // nested boxes: the inner one
    }

    /** The organism's completions: rewarded exactly when their boxed integer is the chain's value, as before. */
    @Test
    void organismAnswersAreRewardedAsBefore() {
        ArithmeticGenerator gen = new ArithmeticGenerator(7, ArithmeticGenerator.Config.DEFAULT);
        int checked = 0;
        for (int i = 0; i < 400; i++) {
            ArithmeticProblem p = gen.next();
            String gold = Integer.toString(p.answer());
            for (AnswerStyle style : List.of(AnswerStyle.DIRECT, AnswerStyle.STEPS, AnswerStyle.TO_FIND, AnswerStyle.FIRST)) {
                String right = style.completion(p);
                String wrong = right.replace("\\boxed{" + p.answer() + "}", "\\boxed{" + (p.answer() + 1 + i % 3) + "}");
                String truncated = right.substring(0, right.length() - 3);
                for (String c : List.of(right, wrong, truncated)) {
                    boolean before = PromptFormat.finalAnswer(c).stream().anyMatch(v -> v == p.answer());
                    assertEquals(before, verifier.matches(c, gold, Extraction.BOXED_ONLY), c);
                    checked++;
                }
            }
        }
        assertEquals(400 * 4 * 3, checked);
    }

    /** The reward of one RL step (16 prompts x 16 samples); the time is printed, not asserted. */
    @Test
    void rewardOfA256CompletionStep() {
        List<String[]> step = new ArrayList<>();
        String[] golds = {"\\frac{3}{4}", "12", "2\\sqrt{3}", "(1, -2)", "x^2 - 1", "[0, 5)", "\\{2, 7\\}", "15\\%"};
        String[] right = {"0.75", "12", "\\sqrt{12}", "(1,-2)", "(x-1)(x+1)", "[0,5)", "\\{7,2\\}", "15 percent"};
        for (int i = 0; i < 256; i++) {
            int k = i % golds.length;
            String answer = i % 2 == 0 ? right[k] : "\\frac{" + i + "}{7}";
            step.add(new String[] {golds[k], "Some reasoning with 3 + 4 = 7 first. So the answer is $\\boxed{" + answer + "}$."});
        }
        for (int warm = 0; warm < 3; warm++) {
            step.forEach(c -> verifier.matches(c[1], c[0], Extraction.BOXED_ONLY));
        }
        long t0 = System.nanoTime();
        int correct = 0;
        for (String[] c : step) {
            correct += verifier.matches(c[1], c[0], Extraction.BOXED_ONLY) ? 1 : 0;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("reward of a 256-completion step: %.1f ms (%d correct)%n", ms, correct);
        assertEquals(128, correct);
    }
}
