package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import steerscope.util.UserError;

class CorpusTest {

    @Test
    void sameSeedSameDocuments() {
        var corpus = new Corpus();
        assertEquals(corpus.documents(2000, 17), corpus.documents(2000, 17));
        assertNotEquals(corpus.documents(2000, 17), corpus.documents(2000, 18));
    }

    @Test
    void styleMixtureAndDrillShareMatchTheConfigWithinTolerance() {
        var mix = new Corpus.StyleMix(0.6, 0.2, 0.1, 0.1);
        var corpus = new Corpus(ArithmeticGenerator.Config.DEFAULT, mix, 0.3);
        int n = 20_000;
        List<Corpus.Document> docs = corpus.generate(n, 4);
        Map<AnswerStyle, Integer> counts = new EnumMap<>(AnswerStyle.class);
        int drills = 0;
        for (var d : docs) {
            // The style is read back from the text, not trusted from the record.
            String completion = d.text().substring(PromptFormat.prompt(d.problem()).length());
            AnswerStyle s = Corpus.styleOf(completion);
            assertEquals(d.style(), s);
            counts.merge(s, 1, Integer::sum);
            if (d.drill()) {
                drills++;
                assertEquals(1, d.problem().depth());
            } else {
                assertTrue(d.problem().depth() >= 2 && d.problem().depth() <= 4);
            }
        }
        for (AnswerStyle s : List.of(AnswerStyle.DIRECT, AnswerStyle.STEPS, AnswerStyle.TO_FIND, AnswerStyle.FIRST)) {
            double p = mix.probability(s);
            double tol = 5 * Math.sqrt(p * (1 - p) / n);  // 5 sigma of a binomial share
            assertEquals(p, counts.getOrDefault(s, 0) / (double) n, tol, s.toString());
        }
        assertEquals(0.3, drills / (double) n, 5 * Math.sqrt(0.21 / n));
        assertNull(counts.get(AnswerStyle.OTHER));
    }

    @Test
    void defaultCorpusIsMostlyDirectAndEveryDocumentIsPromptPlusItsCompletion() {
        var corpus = new Corpus();
        var mix = corpus.mixture();
        for (AnswerStyle s : List.of(AnswerStyle.STEPS, AnswerStyle.TO_FIND, AnswerStyle.FIRST)) {
            assertTrue(mix.probability(AnswerStyle.DIRECT) > mix.probability(s));
        }
        assertTrue(mix.probability(AnswerStyle.DIRECT) > 0.5);
        for (var d : corpus.generate(3000, 9)) {
            assertEquals(PromptFormat.prompt(d.problem()) + d.style().completion(d.problem()), d.text());
            assertTrue(d.text().startsWith("Question: "));
            assertFalse(d.text().contains(PromptFormat.END_OF_TEXT));
        }
    }

    @Test
    void aZeroWeightStyleNeverAppears() {
        var corpus = new Corpus(ArithmeticGenerator.Config.DEFAULT, new Corpus.StyleMix(0, 1, 0, 0), 0.0);
        for (var d : corpus.generate(2000, 1)) {
            assertEquals(AnswerStyle.STEPS, d.style());
            assertFalse(d.drill());
        }
        assertEquals(0.0, corpus.mixture().probability(AnswerStyle.OTHER));
    }

    @Test
    void badMixturesAreUserErrors() {
        assertThrows(UserError.class, () -> new Corpus.StyleMix(0, 0, 0, 0));
        assertThrows(UserError.class, () -> new Corpus.StyleMix(-1, 1, 1, 1));
        assertThrows(UserError.class, () -> new Corpus(ArithmeticGenerator.Config.DEFAULT, Corpus.StyleMix.DEFAULT, 1.5));
    }
}
