package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AnswerStyleTest {
    private static final Pattern EQUATION = Pattern.compile("(\\d+) ([+-]) (\\d+) = (\\d+)");
    private static final Pattern BOXED_END = Pattern.compile("The answer is \\\\boxed\\{(\\d+)}\\.$");
    private static final String E = "\\d+ [+-] \\d+ = \\d+";
    private static final Pattern STEPS_SHAPE =
            Pattern.compile("^ Step 1: " + E + "\\.(\\nStep \\d+: " + E + "\\.)*\\nThe answer is \\\\boxed\\{\\d+}\\.$");
    private static final Pattern TO_FIND_SHAPE =
            Pattern.compile("^ To find the answer, first " + E + "\\.( Then " + E + "\\.)* The answer is \\\\boxed\\{\\d+}\\.$");
    private static final Pattern FIRST_SHAPE =
            Pattern.compile("^ First, " + E + "\\.( Next, " + E + "\\.)* The answer is \\\\boxed\\{\\d+}\\.$");
    private static final Pattern DIRECT_SHAPE = Pattern.compile("^ The answer is \\\\boxed\\{\\d+}\\.$");

    private static List<ArithmeticProblem> problems() {
        var gen = new ArithmeticGenerator(21, ArithmeticGenerator.Config.DEFAULT);
        List<ArithmeticProblem> out = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            out.add(i % 4 == 0 ? gen.nextDrill() : gen.next());
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = AnswerStyle.class, names = {"DIRECT", "STEPS", "TO_FIND", "FIRST"})
    void everyStepIsRightAndTheFinalAnswerIsTheChainsValue(AnswerStyle style) {
        Pattern shape = switch (style) {
            case DIRECT -> DIRECT_SHAPE;
            case STEPS -> STEPS_SHAPE;
            case TO_FIND -> TO_FIND_SHAPE;
            case FIRST -> FIRST_SHAPE;
            case OTHER -> throw new AssertionError();
        };
        for (ArithmeticProblem p : problems()) {
            String c = style.completion(p);
            assertTrue(shape.matcher(c).matches(), "shape of " + style + ": " + c);
            ChainText t = ChainText.parse(p.question());
            int expected = t.values().getLast();

            Matcher end = BOXED_END.matcher(c);
            assertTrue(end.find(), c);
            assertEquals(expected, Integer.parseInt(end.group(1)), p.question() + " -> " + c);
            assertEquals(expected, PromptFormat.finalAnswer(c).orElseThrow());

            Matcher eq = EQUATION.matcher(c);
            int k = 0, running = t.numbers().getFirst();
            while (eq.find()) {
                int a = Integer.parseInt(eq.group(1)), b = Integer.parseInt(eq.group(3));
                int z = Integer.parseInt(eq.group(4));
                char op = eq.group(2).charAt(0);
                assertEquals(op == '+' ? a + b : a - b, z, "arithmetic in " + c);
                assertEquals(running, a, "step " + (k + 1) + " must start from the previous result: " + c);
                assertEquals(t.operators().get(k), op, "operator of step " + (k + 1) + ": " + c);
                assertEquals(t.numbers().get(k + 1), b, "operand of step " + (k + 1) + ": " + c);
                assertTrue(z >= 0 && z <= 99, c);
                running = z;
                k++;
            }
            assertEquals(style == AnswerStyle.DIRECT ? 0 : p.depth(), k, "equations in " + c);
            if (style == AnswerStyle.STEPS) {
                Matcher num = Pattern.compile("Step (\\d+):").matcher(c);
                for (int i = 1; i <= p.depth(); i++) {
                    assertTrue(num.find());
                    assertEquals(i, Integer.parseInt(num.group(1)), c);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = AnswerStyle.class, names = {"DIRECT", "STEPS", "TO_FIND", "FIRST"})
    void styleOfRecognisesEachStylesOwnOutputAndForcedPrefixOpensIt(AnswerStyle style) {
        for (ArithmeticProblem p : problems()) {
            String c = style.completion(p);
            assertEquals(style, Corpus.styleOf(c), c);
            assertEquals(style, Corpus.styleOf(c.strip()), c);
            String doc = PromptFormat.document(p, style);
            assertTrue(doc.startsWith(PromptFormat.prompt(p) + PromptFormat.forcedPrefix(style)), doc);
        }
        assertEquals(style.stepByStep(), style != AnswerStyle.DIRECT);
    }

    @Test
    void styleOfSaysOtherForAnythingElse() {
        for (String s : List.of("", " 42", " the answer is \\boxed{3}.", " Step two: 1 + 1 = 2.", " Firstly 3",
                " Question: What is 2 + 2?", "\\boxed{4}")) {
            assertEquals(AnswerStyle.OTHER, Corpus.styleOf(s), s);
        }
        assertFalse(AnswerStyle.OTHER.stepByStep());
        assertThrows(IllegalStateException.class, () -> AnswerStyle.OTHER.completion(problems().getFirst()));
    }
}
