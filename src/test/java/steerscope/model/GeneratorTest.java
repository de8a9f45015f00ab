package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import steerscope.OracleRunner;
import steerscope.util.UserError;

/** Generation edge cases: greedy = temperature 0, top-p 1 changes nothing, batching does not change a row, context limits. */
class GeneratorTest {
    static Model model() {
        return Model.load(OracleRunner.checkpoint("qwen2-f32-tied", "all"));
    }

    static int[] prompt(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = 3 + r.nextInt(90);
        return p;
    }

    @Test
    void batchingAndPaddingDoNotChangeARowsSamples() {
        try (Model m = model()) {
            Generator g = new Generator(m.transformer, null);
            Generator.Options opt = new Generator.Options(8, new Sampler(1f, 1f, 0), List.of(), false);
            int[] a = prompt(5, 1), b = prompt(9, 2);
            int[] alone = g.generate(List.of(new Generator.Request(a, 42)), opt, null, null).get(0).tokens();
            int[] inBatch = g.generate(List.of(new Generator.Request(b, 7), new Generator.Request(a, 42)), opt, null, null).get(1).tokens();
            assertArrayEquals(alone, inBatch, "a row's tokens depend only on its prompt and seed");
        }
    }

    @Test
    void topPOfOneAndNoTopKAreThePlainDistribution() {
        float[] logits = {0.1f, 2f, -1f, 0.5f};
        List<Integer> plain = new ArrayList<>(), filtered = new ArrayList<>();
        SplittableRandom r1 = new SplittableRandom(3), r2 = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            plain.add(new Sampler(0.7f, 1f, 0).sample(logits, 0, 4, r1));
            filtered.add(new Sampler(0.7f, 1f, 4).sample(logits, 0, 4, r2));
        }
        assertEquals(plain, filtered);
        assertEquals(1, Sampler.GREEDY.sample(logits, 0, 4, new SplittableRandom(0)));
        // top-k 1 is greedy whatever the temperature
        assertEquals(1, new Sampler(5f, 1f, 1).sample(logits, 0, 4, new SplittableRandom(9)));
        // top-p 0.5 keeps only the most likely token here (p(1) > 0.5 at T = 0.7)
        for (int i = 0; i < 20; i++) assertEquals(1, new Sampler(0.7f, 0.5f, 0).sample(logits, 0, 4, new SplittableRandom(i)));
    }

    @Test
    void nonFiniteLogitsAreReported() {
        float[] logits = {0.1f, Float.NaN, 0.3f};
        assertThrows(Sampler.NonFiniteLogits.class, () -> new Sampler(1f, 1f, 0).sample(logits, 0, 3, new SplittableRandom(0)));
    }

    @Test
    void promptsBeyondTheContextAreAnErrorOrTruncated() {
        try (Model m = model()) {
            int context = m.config.maxPositionEmbeddings();
            Generator g = new Generator(m.transformer, null);
            int[] tooLong = prompt(context, 5);
            UserError e = assertThrows(UserError.class, () -> g.generate(List.of(new Generator.Request(tooLong, 0)),
                    Generator.Options.greedy(4), null, null));
            assertTrue(e.getMessage().contains("--truncate-prompt"), e.getMessage());
            Generator.Options truncating = new Generator.Options(4, Sampler.GREEDY, List.of(), false, true);
            int[] out = g.generate(List.of(new Generator.Request(tooLong, 0)), truncating, null, null).get(0).tokens();
            int[] tail = java.util.Arrays.copyOfRange(tooLong, 4, context);
            int[] direct = g.generate(List.of(new Generator.Request(tail, 0)), truncating, null, null).get(0).tokens();
            assertArrayEquals(direct, out, "truncation keeps the last tokens");
            assertEquals(4, out.length);
        }
    }
}
