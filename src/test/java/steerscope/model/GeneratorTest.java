package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import steerscope.OracleRunner;
import steerscope.util.UserError;

/** Generation edge cases: greedy = temperature 0, the sampler's distribution, batching does not change a row, context limits. */
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

    /**
     * Rows that stop early leave the batch (once a quarter of it has stopped): the rows decoded on after that give
     * the tokens and log-probs they give alone, bit for bit.
     */
    @Test
    void rowsLeavingTheBatchChangeNoOtherRow() {
        try (Model m = model()) {
            Generator g = new Generator(m.transformer, null);
            Generator.Options opt = new Generator.Options(48, new Sampler(1f, 1f, 0), List.of(), true);
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = 0; i < 32; i++) reqs.add(new Generator.Request(prompt(3 + i % 7, 100 + i), 1000 + i));
            List<Generator.Result> batched = g.generate(reqs, opt, null, null);
            int stoppedEarly = 0, longest = 0;
            for (Generator.Result r : batched) {
                if (r.finishReason().equals("eos")) stoppedEarly++;
                longest = Math.max(longest, r.tokens().length);
            }
            assertTrue(stoppedEarly >= 8, "a quarter of the rows stop at end-of-sequence, so rows leave the batch: " + stoppedEarly);
            assertEquals(48, longest, "some rows decode on after others have left");
            for (int i = 0; i < reqs.size(); i++) {
                Generator.Result alone = g.generate(List.of(reqs.get(i)), opt, null, null).get(0);
                assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "row " + i + " tokens");
                assertArrayEquals(alone.logprobs(), batched.get(i).logprobs(), "row " + i + " log-probs");
            }
        }
    }

    @Test
    void greedyTopKOneAndATightTopPPickTheArgmax() {
        float[] logits = {0.1f, 2f, -1f, 0.5f};
        assertEquals(1, Sampler.GREEDY.sample(logits, 0, 4, new SplittableRandom(0)));
        // top-k 1 is greedy whatever the temperature
        for (int i = 0; i < 20; i++) assertEquals(1, new Sampler(5f, 1f, 1).sample(logits, 0, 4, new SplittableRandom(i)));
        // top-p 0.5 keeps only the most likely token here (p(1) > 0.5 at T = 0.7)
        for (int i = 0; i < 20; i++) assertEquals(1, new Sampler(0.7f, 0.5f, 0).sample(logits, 0, 4, new SplittableRandom(i)));
    }

    /**
     * Sampled frequencies against softmax(logits / T) filtered as Hugging Face's warpers chain them (top-k, then
     * top-p on what top-k left, renormalised): tokens outside the kept set never come up, and the kept ones pass a
     * chi-square test at the 0.1% level (fixed seed, 40,000 draws). The logits are not in rank order, and the
     * top-k 5 / top-p 0.82 case keeps 3 tokens where top-p on the unrenormalised distribution would keep 4.
     */
    @ParameterizedTest(name = "T {0}, top-k {1}, top-p {2}: {3} tokens kept")
    @CsvSource({"0.8, 5, 0.82, 3", "1.3, 3, 1.0, 3", "0.8, 0, 0.9, 5", "1.7, 0, 1.0, 8", "0.8, 6, 0.999, 6"})
    void samplesFollowTheFilteredSoftmax(float temperature, int topK, float topP, int expectKept) {
        float[] logits = {0.3f, 2.0f, -1.0f, 1.2f, 0.0f, 1.5f, -0.5f, 0.8f};
        int V = logits.length;
        // reference: rank, softmax at T, drop ranks >= k, renormalise, keep ranks whose mass before them is < top-p
        Integer[] rank = new Integer[V];
        for (int i = 0; i < V; i++) rank[i] = i;
        Arrays.sort(rank, (a, b) -> Float.compare(logits[b], logits[a]));
        int k = topK > 0 ? topK : V;
        double[] want = new double[V];
        double z = 0;
        for (int r = 0; r < k; r++) z += Math.exp(logits[rank[r]] / temperature);
        double before = 0, keptMass = 0;
        int kept = 0;
        for (int r = 0; r < k && before < topP; r++) {
            double q = Math.exp(logits[rank[r]] / temperature) / z;
            want[rank[r]] = q;
            before += q;
            keptMass += q;
            kept++;
        }
        assertEquals(expectKept, kept, "the case keeps the tokens it is meant to");
        for (int i = 0; i < V; i++) want[i] /= keptMass;

        int n = 40_000;
        int[] count = new int[V];
        Sampler sampler = new Sampler(temperature, topP, topK);
        SplittableRandom rng = new SplittableRandom(2025);
        for (int i = 0; i < n; i++) count[sampler.sample(logits, 0, V, rng)]++;
        double chi2 = 0;
        for (int i = 0; i < V; i++) {
            if (want[i] == 0) {
                assertEquals(0, count[i], "token " + i + " is filtered out but was sampled");
            } else {
                double e = n * want[i];
                chi2 += (count[i] - e) * (count[i] - e) / e;
            }
        }
        double[] critical = {10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32}; // chi-square 99.9% quantiles, df 1..7
        System.out.printf("T %s top-k %d top-p %s: counts %s, chi2 %.2f (df %d)%n", temperature, topK, topP,
                Arrays.toString(count), chi2, kept - 1);
        assertTrue(chi2 < critical[kept - 2], "chi-square " + chi2 + " with " + (kept - 1) + " degrees of freedom");
    }

    /**
     * Steered greedy decoding with the KV cache, each vector-position choice, two prompts of different lengths in one
     * (left-padded) batch: every token and its log-prob equal those of a full forward over prompt + tokens so far
     * (the full forward's positions rule is checked against torch in OracleTest).
     */
    @ParameterizedTest
    @EnumSource(VectorPositions.class)
    void steeredCachedDecodingEqualsAFullForward(VectorPositions positions) {
        try (Model m = model()) {
            ModelConfig c = m.config;
            SteeringVectors v = SteeringVectors.zeros(c.nLayers(), c.hiddenSize(), null);
            SplittableRandom r = new SplittableRandom(17);
            for (int l : v.layers()) for (int i = 0; i < c.hiddenSize(); i++) v.get(l)[i] = (float) (2 * r.nextDouble() - 1);
            Steering steering = Steering.of(v).withPositions(positions);
            List<int[]> prompts = List.of(prompt(5, 11), prompt(9, 12));
            int n = 6;
            List<Generator.Result> out = new Generator(m.transformer, null).generate(
                    List.of(new Generator.Request(prompts.get(0), 0), new Generator.Request(prompts.get(1), 0)),
                    new Generator.Options(n, Sampler.GREEDY, List.of(), false), steering, null);
            List<Generator.Result> plain = new Generator(m.transformer, null).generate(
                    List.of(new Generator.Request(prompts.get(0), 0)), new Generator.Options(n, Sampler.GREEDY, List.of(), false), null, null);
            for (int b = 0; b < 2; b++) {
                int[] p = prompts.get(b), got = out.get(b).tokens();
                assertEquals(n, got.length);
                int[] seq = Arrays.copyOf(p, p.length + n);
                for (int t = 0; t < n; t++) {
                    int T = p.length + t, V = c.vocabSize();
                    float[] logits = m.transformer.logits(m.transformer.forward(TokenBatch.single(Arrays.copyOf(seq, T), p.length),
                            steering, null, Transformer.Save.NONE), new int[] {T - 1});
                    int want = Sampler.argmax(logits, 0, V);
                    assertEquals(want, got[t], positions + " row " + b + " token " + t);
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (float x : logits) max = Math.max(max, x);
                    for (float x : logits) z += Math.exp(x - max);
                    assertEquals(logits[want] - max - Math.log(z), out.get(b).logprobs()[t], 1e-4, positions + " log-prob, row " + b + " token " + t);
                    seq[T] = want;
                }
            }
            assertFalse(Arrays.equals(plain.get(0).logprobs(), out.get(0).logprobs()), "the vectors change the generation at " + positions);
        }
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
            int[] tail = Arrays.copyOfRange(tooLong, 4, context);
            int[] direct = g.generate(List.of(new Generator.Request(tail, 0)), truncating, null, null).get(0).tokens();
            assertArrayEquals(direct, out, "truncation keeps the last tokens");
            assertEquals(4, out.length);
        }
    }
}
