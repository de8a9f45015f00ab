package steerscope.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.ActivationCache;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.model.VectorPositions;
import steerscope.rl.TinyPolicy;
import steerscope.task.Problem;

/** The paper's measurements (Δp, prefix control, circuit patching, persistence, middle layers) on a tiny model, in cases whose answer is known. */
class PaperChecksTest {
    @TempDir static Path dir;
    static TinyPolicy policy;
    static Transformer tf;
    static Vocab vocab;
    static List<Problem> problems = new ArrayList<>();
    static List<int[]> prompts = new ArrayList<>();
    static int L, d, V, eos;
    static final int SEVEN = '7'; // byte-level: the ids of single bytes are the bytes

    @BeforeAll
    static void setUp() {
        policy = new TinyPolicy(dir, 7);
        var c = policy.model.config;
        tf = policy.model.transformer;
        L = c.nLayers();
        d = c.hiddenSize();
        V = c.vocabSize();
        vocab = new Vocab(policy.tokenizer, V);
        eos = policy.tokenizer.tokenId("<|endoftext|>").getAsInt();
        String[] qs = {"Say something.", "Please answer now.", "What comes first?", "Reply with one letter.", "Say it.", "Now."};
        for (int i = 0; i < qs.length; i++) {
            problems.add(new Problem("p" + i, qs[i], "7"));
            prompts.add(policy.prompts.encode(problems.get(i)));
        }
    }

    static SteeringVectors random(long seed, float s, int layer) {
        SteeringVectors v = SteeringVectors.zeros(L, d, new int[] {layer});
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < d; i++) v.get(layer)[i] = (float) (s * r.nextGaussian());
        return v;
    }

    /** A vector on the layer along token t's unembedding row (the final norm is all ones): it pushes t. */
    static SteeringVectors toward(int t, float s, int layer) {
        SteeringVectors v = SteeringVectors.zeros(L, d, new int[] {layer});
        policy.model.weights.lmHead.loadRow(t, v.get(layer), 0);
        for (int i = 0; i < d; i++) v.get(layer)[i] *= s;
        return v;
    }

    /** Hand-made EOS-ending completions: random tokens, then EOS. */
    static List<Sampled.Sample> completions(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Sampled.Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = 2 + r.nextInt(4);
            int[] toks = new int[c];
            for (int j = 0; j < c - 1; j++) toks[j] = 33 + r.nextInt(90);
            toks[c - 1] = eos;
            out.add(new Sampled.Sample(i % prompts.size(), toks, true, false));
        }
        return out;
    }

    static Map<?, ?> m(Object o, String k) {
        return (Map<?, ?>) ((Map<?, ?>) o).get(k);
    }

    static double value(Object o, String k) {
        return (Double) m(o, k).get("value");
    }

    /** log p(ids[i + 1] | ids[0..i]) for every completion token, teacher-forced in one pass: [ids.length − promptLen]. */
    static float[] completionLogProbs(int[] ids, int promptLen, Steering steering) {
        int n = ids.length - promptLen;
        int[] rows = new int[n], targets = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = promptLen - 1 + i;
            targets[i] = ids[promptLen + i];
        }
        return tf.logprobs(tf.forward(TokenBatch.single(ids, promptLen), steering, null, Transformer.Save.NONE), rows, targets);
    }

    @Test
    void teacherForcedLogProbsAreThoseOfTokenByTokenDecoding() {
        Steering s = Steering.of(random(1, 1f, 0));
        for (Sampled.Sample smp : completions(2, 4)) {
            int[] p = prompts.get(smp.problem()), ids = Sampled.concat(p, smp.tokens());
            float[] lp = completionLogProbs(ids, p.length, s);
            for (int j = 0; j < smp.tokens().length; j++) {
                // independent: the prefix alone through the model, its last position's log-softmax
                float[] logits = tf.nextTokenLogits(Arrays.copyOf(ids, p.length + j), s.withPositions(VectorPositions.ALL));
                double expect = logits[ids[p.length + j]] - Divergence.logSumExp(logits, 0, V);
                assertEquals(expect, lp[j], 1e-4, "token " + j);
            }
        }
    }

    @Test
    void aZeroVectorMovesNothing() {
        Map<String, Object> out = DeltaP.analyse(tf, vocab, TokenCategories.ofVocab(vocab), prompts, completions(3, 6),
                Steering.of(SteeringVectors.zeros(L, d, new int[] {L - 1})), null, 100, 0);
        assertEquals(6, out.get("n_sequences"));
        assertEquals(0.0, value(m(out, "position_classes").get("pos0"), "kl"), 0.0);
        assertEquals(0.0, value(m(out, "position_classes").get("later"), "kl"), 0.0);
        assertNull(m(out, "pos0_kl_share").get("value"), "no effect anywhere: no share of it");
    }

    @Test
    void aLastLayerVectorOnTheFirstPositionOnlyActsAtPos0AndBoostsItsToken() {
        // the last block's output at p-1 feeds only the logits of p-1: later positions are untouched, bit for bit
        Steering first = Steering.of(toward(SEVEN, 3f, L - 1)).withPositions(VectorPositions.FIRST);
        List<Sampled.Sample> cs = completions(4, 6);
        Map<String, Object> out = DeltaP.analyse(tf, vocab, TokenCategories.ofVocab(vocab), prompts, cs, first, null, 100, 0);
        assertEquals(0.0, value(m(out, "position_classes").get("later"), "kl"), 0.0);
        assertTrue(value(m(out, "position_classes").get("pos0"), "kl") > 0.1);
        assertEquals(1.0, value(out, "pos0_kl_share"), 1e-12);
        assertTrue((Double) ((List<?>) m(out, "kl_pos0_minus_later").get("ci")).get(0) > 0);
        assertEquals(SEVEN, ((Map<?, ?>) ((List<?>) out.get("pos0_boosted")).get(0)).get("id"));
        // '7' is a structure token: the vector moves probability onto structure tokens at pos 0
        Map<?, ?> structure = m(m(out, "categories"), "structure");
        assertTrue((Double) ((List<?>) m(structure, "mass_shift_pos0").get("ci")).get(0) > 0.05, structure.toString());
        // the per-position numbers of the first sequence, against each prefix run alone
        List<?> pos = (List<?>) ((Map<?, ?>) ((List<?>) out.get("sequences")).get(0)).get("positions");
        int[] p = prompts.get(cs.get(0).problem()), ids = Sampled.concat(p, cs.get(0).tokens());
        for (int j = 0; j < pos.size(); j++) {
            int[] prefix = Arrays.copyOf(ids, p.length + j);
            float[] ls = lastLogits(prefix, p.length, first), lz = lastLogits(prefix, p.length, null);
            double[] ps = Divergence.softmax(ls, 0, V), pz = Divergence.softmax(lz, 0, V);
            int hi = 0;
            for (int i = 0; i < vocab.size; i++) if (ps[i] - pz[i] > ps[hi] - pz[hi]) hi = i;
            Map<?, ?> row = (Map<?, ?>) pos.get(j);
            assertEquals(Divergence.klOfLogits(lz, 0, ls, 0, V), (Double) row.get("kl"), 1e-5);
            if (j == 0) {
                assertEquals(hi, m(row, "top").get("id"));
                assertEquals(ps[hi] - pz[hi], (Double) m(row, "top").get("value"), 1e-5);
            }
        }
    }

    /** The logits after a prefix whose prompt is its first promptLen tokens (so FIRST means position promptLen - 1). */
    static float[] lastLogits(int[] prefix, int promptLen, Steering s) {
        return tf.logits(tf.forward(TokenBatch.single(prefix, promptLen), s, null, Transformer.Save.NONE), new int[] {prefix.length - 1});
    }

    @Test
    void theBaseModelWithTheForcedTokenRecoversAFirstTokenVectorsGain() {
        // the vector only makes '7' the first token (answer "7", one new token): forcing '7' as a prefix should do
        // almost the same; the only loss is a digit sampled right after it
        // a sharp output (final norm x4) so that the vector makes '7' near-certain
        float[] norm = policy.model.weights.finalNorm, saved = norm.clone();
        try {
            for (int i = 0; i < d; i++) norm[i] *= 4;
            SteeringVectors v = toward(SEVEN, 6f, L - 1);
            Steering first = Steering.of(v).withPositions(VectorPositions.FIRST);
            Sampled.Options so = new Sampled.Options(16, 1, 64, 5);
            Sampled.Result base = Sampled.run(policy.model, policy.tokenizer, problems, prompts, null, null, so);
            Sampled.Result vec = Sampled.run(policy.model, policy.tokenizer, problems, prompts, first, null, so);
            assertTrue(vec.accuracy()[1] > 0.9, "the vector makes '7' first: " + vec.accuracy()[0]);
            Map<String, Object> out = PrefixControl.analyse(policy.model, policy.tokenizer, vocab, problems, prompts, SEVEN, base, vec, so);
            double f = value(out, "fraction");
            assertTrue(f > 0.8 && f <= 1.05, "fraction " + f);
            // a vector that does nothing: its gain is not clearly positive, so no fraction
            Sampled.Result none = Sampled.run(policy.model, policy.tokenizer, problems, prompts, Steering.of(SteeringVectors.zeros(L, d, new int[] {L - 1})), null, so);
            Map<String, Object> guarded = PrefixControl.analyse(policy.model, policy.tokenizer, vocab, problems, prompts, SEVEN, base, none, so);
            assertNull(guarded.get("fraction"));
            assertNotNull(guarded.get("fraction_reason"));
        } finally {
            System.arraycopy(saved, 0, norm, 0, d);
        }
    }

    /**
     * A second run with the same inputs reads every stage back (a value edited in a stage file survives); a run
     * with other inputs (another seed, another vector) recomputes them; a stage file that is not JSON is recomputed.
     */
    @Test
    void finishedStagesAreReadBackOnlyWhenTheirInputsMatch(@TempDir Path out) throws Exception {
        SteeringVectors last = toward(SEVEN, 2f, L - 1), pen = random(3, 0.5f, L - 2);
        PaperChecks.Inputs in = new PaperChecks.Inputs(last, pen, List.of(), null, null);
        PaperChecks.Options opt = new PaperChecks.Options(2, 3, 12, 1, 8, 4, false, 3, false);
        PaperChecks.run(policy.model, policy.tokenizer, policy.prompts, problems, in, opt, out);
        var mapper = Json.MAPPER;
        for (String f : PaperChecks.FILES) assertTrue(Json.read(out.resolve(f + ".json")).path("inputs").isTextual(), f);
        for (String f : List.of("base", "last", "penultimate"))
            assertTrue(Files.isRegularFile(out.resolve(PaperChecks.SAMPLES_DIR + "/" + f + ".json")), f);

        var circuit = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(out.resolve("circuit.json"));
        circuit.put("block", 99);
        Files.writeString(out.resolve("circuit.json"), mapper.writeValueAsString(circuit));
        Files.writeString(out.resolve("persistence.json"), "{not json");
        PaperChecks.run(policy.model, policy.tokenizer, policy.prompts, problems, in, opt, out);
        assertEquals(99, Json.read(out.resolve("circuit.json")).path("block").asInt(), "same inputs: the finished stage is read back");
        assertEquals(2, Json.read(out.resolve("persistence.json")).path("vectors").size(), "an unreadable stage is recomputed");

        PaperChecks.run(policy.model, policy.tokenizer, policy.prompts, problems, in,
                new PaperChecks.Options(2, 3, 12, 2, 8, 4, false, 3, false), out);
        assertEquals(L - 1, Json.read(out.resolve("circuit.json")).path("block").asInt(), "another seed: recomputed");
        circuit = (com.fasterxml.jackson.databind.node.ObjectNode) Json.read(out.resolve("circuit.json"));
        circuit.put("block", 99);
        Files.writeString(out.resolve("circuit.json"), mapper.writeValueAsString(circuit));
        PaperChecks.run(policy.model, policy.tokenizer, policy.prompts, problems, new PaperChecks.Inputs(last, random(4, 0.5f, L - 2), List.of(), null, null),
                new PaperChecks.Options(2, 3, 12, 2, 8, 4, false, 3, false), out);
        assertEquals(L - 1, Json.read(out.resolve("circuit.json")).path("block").asInt(), "another penultimate vector: recomputed");
    }

    static float[] finalResid(Steering s, Hooks h) {
        ActivationCache c = new ActivationCache();
        Hooks hooks = h == null ? new Hooks() : h;
        hooks.cache(c, n -> n.equals(tf.hookNames.residPost[L - 1]));
        Batch.ofPrompts(prompts).run(tf, s, hooks);
        return c.get(tf.hookNames.residPost[L - 1]).data();
    }

    @Test
    void patchingEveryQkvSlotIsSkippingAttentionAndSkipLayerIsTheBaseBlockPlusTheVector() {
        SteeringVectors pen = random(5, 1f, L - 2);
        float[] v = pen.get(L - 2);
        Steering s = Steering.of(pen);
        Circuit.Patch all = new Circuit.Patch("all", fill(policy.model.config.nHeads()), fill(policy.model.config.nKvHeads()), fill(policy.model.config.nKvHeads()));
        float[] skip = finalResid(s, Circuit.skipAttention(tf, L - 1, v));
        assertTrue(AnalysesTest.maxDiff(skip, finalResid(s, Circuit.patch(tf, L - 1, v, all))) < 1e-5);
        assertTrue(AnalysesTest.maxDiff(skip, finalResid(s, null)) > 1e-3, "skipping attention changes something");
        // no slot patched: exactly the steered run
        Circuit.Patch none = all.inverse("none");
        assertArrayEquals(finalResid(s, null), finalResid(s, Circuit.patch(tf, L - 1, v, none)));
        // skip-layer: the last block sees the base residual, and v is added after it
        Batch b = Batch.ofPrompts(prompts);
        float[] expect = finalResid(null, null), got = finalResid(s, Circuit.skipLayer(tf, L - 1, v));
        for (int bb = 0; bb < b.size; bb++) {
            for (int i = 0; i < b.lengths[bb]; i++) {
                int row = b.row(bb, i);
                for (int k = 0; k < d; k++) assertEquals(expect[row * d + k] + v[k], got[row * d + k], 1e-4);
            }
        }
    }

    static boolean[] fill(int n) {
        boolean[] a = new boolean[n];
        Arrays.fill(a, true);
        return a;
    }

    @Test
    void whenTheLastBlocksAttentionIsBypassedSkippingItChangesNothing() {
        float[] wo = policy.model.weights.layers[L - 1].wo.array(), saved = wo.clone();
        try {
            Arrays.fill(wo, 0f);
            SteeringVectors pen = random(6, 1.5f, L - 2);
            Sampled.Options so = new Sampled.Options(4, 3, 64, 9);
            Sampled.Result base = Sampled.run(policy.model, policy.tokenizer, problems, prompts, null, null, so);
            Sampled.Result st = Sampled.run(policy.model, policy.tokenizer, problems, prompts, Steering.of(pen), null, so);
            Map<String, Object> out = Circuit.analyse(policy.model, policy.tokenizer, problems, prompts, pen, st, base, so, 8, true, 4);
            Map<String, Map<?, ?>> by = new HashMap<>();
            for (Object o : (List<?>) out.get("conditions")) by.put((String) ((Map<?, ?>) o).get("name"), (Map<?, ?>) o);
            assertEquals(4 + 3 + 2 * (policy.model.config.nHeads() + 2 * policy.model.config.nKvHeads()), by.size());
            for (String n : List.of("steered", "skip_attention", "patch_q", "patch_k", "patch_v", "inverse_q_head_0", "patch_v_group_1")) {
                assertEquals(0.0, value(by.get(n), "kl"), 1e-9, n);
                assertEquals(0.0, value(by.get(n), "minus_steered"), 0.0, n);
            }
            assertTrue(value(by.get("zeroed"), "kl") > 1e-4, "the vector itself matters");
            assertTrue(value(by.get("skip_layer"), "kl") > 1e-4, "the MLP of the last block reads the vector");
        } finally {
            System.arraycopy(saved, 0, wo, 0, wo.length);
        }
    }

    @Test
    void aVectorThroughABypassedBlockPersistsExactly() {
        SteeringVectors pen = random(7, 1f, L - 2);
        Map<String, Object> out = Persistence.analyse(tf, prompts, pen, 4, 0);
        List<?> layers = (List<?>) out.get("layers");
        assertEquals(2, layers.size());
        assertEquals(1.0, value(layers.get(0), "diff_vector"), 1e-6, "at its own layer the difference is the vector");
        double through = value(layers.get(1), "diff_vector");
        assertTrue(through < 0.999, "a live block bends it: " + through);
        float[] wo = policy.model.weights.layers[L - 1].wo.array(), down = policy.model.weights.layers[L - 1].wDown.array();
        float[] savedWo = wo.clone(), savedDown = down.clone();
        try {
            Arrays.fill(wo, 0f);
            Arrays.fill(down, 0f);
            List<?> bypassed = (List<?>) Persistence.analyse(tf, prompts, pen, 4, 0).get("layers");
            assertEquals(1.0, value(bypassed.get(1), "diff_vector"), 1e-6);
            assertEquals(1.0, value(bypassed.get(1), "diff_diff"), 1e-6);
        } finally {
            System.arraycopy(savedWo, 0, wo, 0, wo.length);
            System.arraycopy(savedDown, 0, down, 0, down.length);
        }
    }

    @Test
    void middleLayerBottomTokensAreTestedAgainstTheDistractorList() {
        assertArrayEquals(new int[] {1}, MiddleLayers.layers(3));
        assertArrayEquals(new int[] {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, MiddleLayers.layers(24));
        SteeringVectors v = SteeringVectors.zeros(3, d, new int[] {1});
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < d; i++) v.get(1)[i] = (float) r.nextGaussian();
        Lens lens = new Lens(policy.model.weights);
        int[] bottom = vocab.top(lens.ofDirection(v.get(1)), 0, MiddleLayers.K, false);
        Set<Integer> hit = new HashSet<>();
        for (int id : bottom) hit.add(id);
        Map<String, Object> yes = MiddleLayers.analyse(lens, vocab, v, 3, hit, 0);
        assertEquals(1.0, value(yes, "distractor_share"), 0.0);
        assertEquals(MiddleLayers.K / (double) vocab.size, (Double) yes.get("chance"), 1e-12);
        // the top tokens are the opposite end: none of them is in the bottom
        Set<Integer> miss = new HashSet<>();
        for (int id : vocab.top(lens.ofDirection(v.get(1)), 0, MiddleLayers.K, true)) miss.add(id);
        assertEquals(0.0, value(MiddleLayers.analyse(lens, vocab, v, 3, miss, 0), "distractor_share"), 0.0);
        Map<String, Object> unknown = MiddleLayers.analyse(lens, vocab, v, 3, null, 0);
        assertNull(unknown.get("distractor_share"));
        assertNotNull(unknown.get("reason"));
    }
}
