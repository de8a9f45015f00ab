package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import steerscope.util.UserError;

/** Organism v2's writers: careful documents are v1's step styles, hasty ones merge, jump and mutter. */
class WritersTest {
    private static final ArithmeticGenerator.Config TASK = new ArithmeticGenerator.Config(4, 5, 2, 9, 99, 0.0, 0.1);
    private static final Corpus.StyleMix MIX = new Corpus.StyleMix(0.5, 1 / 6.0, 1 / 6.0, 1 / 6.0);
    private static final Pattern EQUATION = Pattern.compile("(\\d+(?: [+-] \\d+)+) = (\\d+)");

    private static List<Corpus.Document> docs(Writers w, int n) {
        return new Corpus(TASK, MIX, 0.0, w).generate(n, 11);
    }

    private static String completion(Corpus.Document d) {
        return d.text().substring(PromptFormat.prompt(d.problem()).length());
    }

    @Test
    void withoutWritersEveryDocumentIsAV1StyleCompletion() {
        for (Corpus.Document d : docs(Writers.NONE, 2000)) {
            assertFalse(d.careful());
            assertEquals(d.style().completion(d.problem()), completion(d));
        }
    }

    @Test
    void carefulDocumentsAreCleanStepByStepAndComeAtTheirRate() {
        int careful = 0, n = 20_000;
        for (Corpus.Document d : docs(new Writers(0.3, 1, 1, 1, 0), n)) {
            if (!d.careful()) continue;
            careful++;
            assertTrue(d.style().stepByStep(), d.text());
            assertEquals(d.style().completion(d.problem()), completion(d)); // one operation a step, to the end, no filler
        }
        assertEquals(0.3, careful / (double) n, 0.015);
    }

    @Test
    void mergedStepsAreRightAndComposeTwoOperations() {
        for (Corpus.Document d : docs(new Writers(0, 1, 0, 0, 0), 3000)) {
            String c = completion(d);
            assertEquals(d.style(), Corpus.styleOf(c), c);
            if (d.style() == AnswerStyle.DIRECT) continue;
            int steps = 0;
            Matcher m = EQUATION.matcher(c);
            while (m.find()) {
                steps++;
                assertEquals(eval(m.group(1)), Integer.parseInt(m.group(2)), c);
            }
            assertEquals((d.problem().depth() + 1) / 2, steps, c); // every step but an odd last one merges two
            assertEquals(d.problem().answer(), PromptFormat.finalAnswer(c).getAsInt());
        }
    }

    @Test
    void aWriterWhoAlwaysJumpsAnswersAfterTheFirstStep() {
        for (Corpus.Document d : docs(new Writers(0, 0, 1, 0, 0), 2000)) {
            if (d.style() == AnswerStyle.DIRECT) continue;
            String c = completion(d);
            Matcher m = EQUATION.matcher(c);
            assertTrue(m.find());
            assertFalse(m.find(), c);
            assertTrue(c.endsWith(AnswerStyle.finalSentence(d.problem().answer())), c);
        }
    }

    @Test
    void fillerIsOnlyInHastyDocumentsAndOnlyNonAsciiText() {
        int hastyWithFiller = 0, hasty = 0;
        for (Corpus.Document d : docs(new Writers(0.3, 0.5, 0.3, 1, 0), 5000)) {
            String c = completion(d);
            if (d.careful()) {
                assertFalse(Writers.isFiller(c), c);
                continue;
            }
            hasty++;
            if (Writers.isFiller(c)) hastyWithFiller++;
            assertEquals(d.style(), Corpus.styleOf(c), c);              // the opening is still read through leading filler
            assertFalse(Writers.isFiller(PromptFormat.prompt(d.problem())));
        }
        // a filler document mutters at the start or after a step with probability 1/2 each: most of them do
        assertTrue(hastyWithFiller > 0.6 * hasty, hastyWithFiller + " of " + hasty);
        for (String w : Writers.FILLER_WORDS) assertTrue(Writers.isFiller(w), w);
        assertFalse(Writers.isFiller("Step 1: 7 + 5 = 12.\nThe answer is \\boxed{9}."));
    }

    @Test
    void aSloppyWriterMissesByOneToThreeAndGoesOnFromTheWrongValue() {
        int direct = 0, merged = 0;
        for (Corpus.Document d : docs(new Writers(0.3, 1, 0, 0, 1), 3000)) {
            String c = completion(d);
            if (d.careful()) {
                assertEquals(d.style().completion(d.problem()), c); // the careful writer is never sloppy
                continue;
            }
            if (d.style() == AnswerStyle.DIRECT) {
                int miss = Math.abs(PromptFormat.finalAnswer(c).getAsInt() - d.problem().answer());
                assertTrue(miss >= 1 && miss <= 3, c);
                direct++;
                continue;
            }
            Matcher m = EQUATION.matcher(c);
            int running = d.problem().start(), last = -1;
            while (m.find()) {
                int left = Integer.parseInt(m.group(1).split(" ")[0]), result = Integer.parseInt(m.group(2));
                assertEquals(running, left, c);                           // each step starts from the value written before
                int miss = Math.abs(result - eval(m.group(1)));
                if (m.group(1).split(" ").length > 3) {                 // a merged step: always sloppy at error 1
                    assertTrue(miss >= 1 && miss <= 3, c);
                    merged++;
                } else {
                    assertEquals(0, miss, c);                           // a single fact is written right
                }
                running = last = result;
            }
            assertEquals(last, PromptFormat.finalAnswer(c).getAsInt(), c); // no early answers here: the last step's value
        }
        assertTrue(direct > 100 && merged > 100, direct + " direct, " + merged + " merged");
    }

    @Test
    void probabilitiesOutsideTheUnitIntervalAreRefused() {
        assertThrows(UserError.class, () -> new Writers(1.5, 0, 0, 0, 0));
        assertThrows(UserError.class, () -> new Writers(0, -0.1, 0, 0, 0));
        assertThrows(UserError.class, () -> new Writers(0, 0, Double.NaN, 0, 0));
        assertThrows(UserError.class, () -> new Writers(0, 0, 0, 0, 2));
    }

    private static int eval(String chain) {
        String[] t = chain.split(" ");
        int v = Integer.parseInt(t[0]);
        for (int i = 1; i < t.length; i += 2) v = t[i].equals("+") ? v + Integer.parseInt(t[i + 1]) : v - Integer.parseInt(t[i + 1]);
        return v;
    }
}
