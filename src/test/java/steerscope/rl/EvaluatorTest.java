package steerscope.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.task.Problem;

/**
 * Evaluator's counts on a stub model whose outputs are known: every block's output projections are zero and
 * every token embeds to the same direction, so whatever the prompt the next-token logits are 20.1 for "3", 20.0
 * for "7" and 0 for every other token. Greedy then always answers 3; a sample at T = 1 answers 3 with
 * probability e^0.1 / (1 + e^0.1) = 0.525, 7 otherwise, anything else with probability under 1e-6.
 */
class EvaluatorTest {
    @TempDir
    Path dir;

    @Test
    void greedyPassAtOneAndMeanSampleAccuracyOfAStubWithKnownOutputs() {
        TinyPolicy tiny = new TinyPolicy(dir, 9);
        int d = tiny.model.config.hiddenSize();
        int three = tiny.tokenizer.tokenId("3").orElseThrow(), seven = tiny.tokenizer.tokenId("7").orElseThrow();
        tiny.model.weights.forEachMat((name, m) -> {
            float[] a = m.array();
            if (name.equals("model.embed_tokens.weight")) {
                Arrays.fill(a, 0f);
                for (int v = 0; v < m.rows; v++) a[v * m.cols] = 1f; // every token: the unit vector e0
            } else if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
                Arrays.fill(a, 0f); // blocks add nothing: the final residual is e0, normed to sqrt(d) e0
            } else if (name.equals("lm_head.weight")) {
                Arrays.fill(a, 0f);
                a[three * m.cols] = (float) (20.1 / Math.sqrt(d));
                a[seven * m.cols] = (float) (20.0 / Math.sqrt(d));
            }
        });
        List<Problem> problems = List.of(new Problem("a3", "What is 1+2?", "3"), new Problem("a7", "What is 3+4?", "7"),
                new Problem("a5", "What is 2+3?", "5"), new Problem("b3", "What is 0+3?", "3"));
        int K = 400;
        Evaluator.Result r = new Evaluator(tiny.model, tiny.tokenizer, tiny.prompts)
                .evaluate(problems, null, new Evaluator.Options(K, 1f, 1, 13, 3), false);

        assertEquals(4, r.summary().n());
        assertEquals(0.5, r.summary().greedyAccuracy(), 0, "greedy answers 3: right on a3 and b3 only");
        double p3 = Math.exp(0.1) / (1 + Math.exp(0.1)), sd = Math.sqrt(p3 * (1 - p3) / K);
        double[] want = {p3, 1 - p3, 0, p3};
        double meanOfProblems = 0;
        for (int i = 0; i < 4; i++) {
            Evaluator.ProblemResult pr = r.problems().get(i);
            assertEquals(problems.get(i).id(), pr.id());
            assertEquals("3", pr.greedy());
            assertEquals(pr.answer().equals("3"), pr.greedyCorrect());
            assertEquals(K, pr.samples().size());
            long right = pr.samples().stream().filter(pr.answer()::equals).count();
            assertTrue(pr.samples().stream().allMatch(s -> s.equals("3") || s.equals("7")), "only 3 and 7 are ever sampled");
            assertEquals((double) right / K, pr.sampleAccuracy(), 1e-12, "sample accuracy of " + pr.id() + " counts its right samples");
            System.out.printf("%s: sample accuracy %.4f (expected %.4f, sd %.4f)%n", pr.id(), pr.sampleAccuracy(), want[i], sd);
            assertEquals(want[i], pr.sampleAccuracy(), 4 * sd + 1e-12, pr.id() + " within 4 standard deviations of its known rate");
            meanOfProblems += pr.sampleAccuracy() / 4;
        }
        assertEquals(meanOfProblems, r.summary().meanSampleAccuracy(), 1e-12, "the summary is the mean over problems");
    }
}
