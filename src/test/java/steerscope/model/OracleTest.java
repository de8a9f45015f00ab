package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.OracleRunner;
import steerscope.io.SafeTensors;
import steerscope.tensor.Backend;

/**
 * Logits, loss and gradients (vectors and every weight) against the plain-torch oracle on tiny random
 * Qwen2 / Llama / Mistral checkpoints: F32 and BF16, tied and untied, GQA and MHA, llama3 RoPE scaling,
 * a sharded checkpoint, a padded batch (left and right), and every vector-position choice.
 *
 * <p>No golden from Hugging Face {@code transformers} itself is available offline, so the oracle
 * (src/test/python/oracle.py, plain torch with autograd) is written from the transformers sources, formula by
 * formula; this is where each one comes from (transformers 4.4x, {@code models/<arch>/modeling_<arch>.py}):
 * <ul>
 * <li>RMSNorm: {@code LlamaRMSNorm} / {@code Qwen2RMSNorm}, {@code x * rsqrt(mean(x^2) + eps) * w} in float32,
 *     eps from {@code rms_norm_eps} (the cases use 1e-6 and 1e-5).
 * <li>RoPE: {@code rotate_half} pairing element i with i + head_dim/2 ({@code apply_rotary_pos_emb}), inverse
 *     frequencies from {@code modeling_rope_utils._compute_default_rope_parameters} in float32, and Llama 3's
 *     three bands from {@code _compute_llama3_parameters} (case llama-f32-rope3 has a frequency in each band;
 *     {@link HfConfigQuirksTest} checks the bands of Llama 3.1's published configuration).
 * <li>GQA: {@code repeat_kv}, query head h reading key/value head h / (heads / kv_heads); the oracle's
 *     self-test checks it equals the MHA model with K/V heads repeated, and qwen2-f32-mha is plain MHA.
 * <li>q/k/v bias: {@code Qwen2Attention} has bias on q/k/v and none on o_proj, with no config key; Llama
 *     follows {@code attention_bias} (false in the cases); Mistral has none.
 * <li>Tied embeddings: {@code tie_word_embeddings} makes lm_head the embedding matrix, and its gradient sums
 *     both uses (qwen2-f32-tied, llama-bf16-tied-sharded).
 * <li>Sliding window: the Mistral case has {@code sliding_window: null} and Qwen2 {@code use_sliding_window:
 *     false}; steerscope implements no window, so one that is on caps the context at its size
 *     ({@link HfConfigQuirksTest}), where full attention is the same.
 * <li>BF16: weights rounded to BF16 as {@code tensor.to(torch.bfloat16)}, then both sides compute in float32,
 *     so BF16 cases are held to the F32 tolerance.
 * </ul>
 */
class OracleTest {
    static final double LOGIT_TOL = 1e-4, GRAD_REL_TOL = 1e-4;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (String c : OracleRunner.CASES) out.add(Arguments.of(c, "all", b));
            for (String mode : List.of("generated", "first", "prompt")) {
                out.add(Arguments.of("qwen2-bf16", mode, b));
                out.add(Arguments.of("llama-f32-rope3", mode, b));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> casesByBackend() {
        return OracleRunner.cases().flatMap(c -> Stream.of(Arguments.of(c, Backend.JAVA), Arguments.of(c, Backend.NATIVE)));
    }

    @AfterEach
    void javaKernels() {
        Backend.use(Backend.JAVA);
    }

    @ParameterizedTest(name = "{0} vectors at {1}, {2} kernels")
    @MethodSource("cases")
    void logitsLossAndGradientsMatchTorch(String caseName, String positions, Backend backend) {
        Backend.use(backend, 1); // native: every product on oneDNN, however few rows
        Path dir = OracleRunner.checkpoint(caseName, positions);
        try (Model model = Model.load(dir); SafeTensors expected = SafeTensors.open(dir.resolve("expected.safetensors"))) {
            ModelConfig c = model.config;
            OracleBatch batch = new OracleBatch(dir, c);
            Transformer tf = model.transformer;
            Transformer.Forward f = tf.forward(batch.tokens(), batch.steering, null, Transformer.Save.ALL);

            // where the vectors go: our positions rule against the oracle's mask
            for (int b = 0; b < batch.B; b++) {
                for (int t = 0; t < batch.T; t++) {
                    assertEquals(batch.vectorMask[b][t] == 1f, f.steeredAt(b * batch.T + t), "vector mask at row " + b + " t " + t);
                }
            }

            // logits at every real position
            float[] logits = tf.logits(f);
            float[] want = expected.floats("logits");
            int V = c.vocabSize();
            double maxDiff = 0;
            for (int b = 0; b < batch.B; b++) {
                for (int t = 0; t < batch.T; t++) {
                    if (!batch.mask[b][t]) continue;
                    int o = (b * batch.T + t) * V;
                    for (int v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(logits[o + v] - want[o + v]));
                }
            }
            System.out.printf("%s/%s: max |logit diff| = %.3g%n", caseName, positions, maxDiff);
            assertTrue(maxDiff < LOGIT_TOL, "max logit difference " + maxDiff + " >= " + LOGIT_TOL);

            // loss and gradients: vectors-only mode, then full mode, from the same forward
            WeightedLogProbLoss loss = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, batch.klWeights,
                    batch.refLogprobs, batch.klCoef);
            Gradients g = new Gradients(c, true);
            double L = tf.backward(f, loss, g, null);
            float wantLoss = expected.floats("loss")[0];
            assertEquals(wantLoss, L, 1e-4 * Math.max(1, Math.abs(wantLoss)), "loss");

            float[] wantVec = expected.floats("grad.vectors");
            float[] gotVec = new float[wantVec.length];
            for (int l = 0; l < c.nLayers(); l++) System.arraycopy(g.vectors[l], 0, gotVec, l * c.hiddenSize(), c.hiddenSize());
            double worst = assertClose("grad.vectors", gotVec, wantVec);
            double[] worstWeight = {0};
            g.forEachWeight((name, got) -> worstWeight[0] = Math.max(worstWeight[0], assertClose("grad." + name, got, expected.floats("grad." + name))));
            System.out.printf("%s/%s: loss %.6f vs %.6f, grad rel err vectors %.3g, weights %.3g%n", caseName, positions,
                    L, wantLoss, worst, worstWeight[0]);

            // vectors-only mode gives the same vector gradient and allocates no weight gradient
            Transformer.Forward f2 = tf.forward(batch.tokens(), batch.steering, null, Transformer.Save.BLOCK_INPUTS);
            Gradients gv = new Gradients(c, false);
            double L2 = tf.backward(f2, loss, gv, null);
            assertEquals(L, L2, 1e-9 * Math.max(1, Math.abs(L)));
            for (int l = 0; l < c.nLayers(); l++) assertArrayEquals(g.vectors[l], gv.vectors[l], 1e-6f, "recomputed vector gradient, layer " + l);
            assertTrue(gv.embed == null && gv.layers[0] == null, "vectors-only mode must not allocate weight gradients");
            System.out.printf("%s/%s: activation memory %d bytes stored, %d recomputing%n", caseName, positions,
                    f.activationBytes(), f2.activationBytes());
            assertTrue(f2.activationBytes() < f.activationBytes(), "recomputing must hold less than storing every activation");

            // full fine-tuning with --recompute: every weight's gradient from the checkpointed forward
            Transformer.Forward f3 = tf.forward(batch.tokens(), batch.steering, null, Transformer.Save.BLOCK_INPUTS);
            Gradients gr = new Gradients(c, true);
            assertEquals(L, tf.backward(f3, loss, gr, null), 1e-9 * Math.max(1, Math.abs(L)), "recomputed full-mode loss");
            gr.forEachWeight((name, got) -> assertClose("recomputed grad." + name, got, expected.floats("grad." + name)));
        }
    }

    /** The oracle's own checks (finite differences, GQA vs MHA, padding, llama3 bands, writer round trips). */
    @Test
    void oracleSelfTestPasses() {
        String out = OracleRunner.run(List.of(OracleRunner.PYTHON.toString(), OracleRunner.SCRIPT.toString(), "--self-test"));
        assertTrue(out.contains("self-test: 0 failure(s)"), out);
    }

    /** max|got − want| / max|want| must stay below GRAD_REL_TOL; returns that ratio. */
    static double assertClose(String name, float[] got, float[] want) {
        assertEquals(want.length, got.length, name + " length");
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        double rel = scale == 0 ? maxDiff : maxDiff / scale;
        assertTrue(rel < GRAD_REL_TOL || maxDiff < 1e-7, name + ": relative error " + rel + " (max diff " + maxDiff + ", scale " + scale + ")");
        return rel;
    }

    @ParameterizedTest(name = "{0}, {1} kernels")
    @MethodSource("casesByBackend")
    void forwardAndBackwardGiveTheSameBitsRunToRun(String caseName, Backend backend) {
        Backend.use(backend, 1);
        Path dir = OracleRunner.checkpoint(caseName, "all");
        try (Model model = Model.load(dir)) {
            ModelConfig c = model.config;
            OracleBatch batch = new OracleBatch(dir, c);
            WeightedLogProbLoss loss = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, batch.klWeights,
                    batch.refLogprobs, batch.klCoef);
            float[][] first = null;
            for (int run = 0; run < 2; run++) {
                Transformer.Forward f = model.transformer.forward(batch.tokens(), batch.steering, null, Transformer.Save.ALL);
                Gradients g = new Gradients(c, true);
                model.transformer.backward(f, loss, g, null);
                List<float[]> all = new ArrayList<>(List.of(model.transformer.logits(f)));
                for (int l = 0; l < c.nLayers(); l++) all.add(g.vectors[l]);
                g.forEachWeight((name, got) -> all.add(got));
                float[][] now = all.toArray(new float[0][]);
                if (first == null) first = now;
                else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "array " + i + " differs between runs");
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} kernels")
    @MethodSource("casesByBackend")
    void incrementalDecodingMatchesFullForward(String caseName, Backend backend) {
        Backend.use(backend, 1); // native: every product on oneDNN, however few rows
        Path dir = OracleRunner.checkpoint(caseName, "all");
        try (Model model = Model.load(dir)) {
            ModelConfig c = model.config;
            OracleBatch batch = new OracleBatch(dir, c);
            Transformer tf = model.transformer;
            int B = batch.B, T = batch.T, V = c.vocabSize();
            float[] full = tf.logits(tf.forward(batch.tokens(), batch.steering, null, Transformer.Save.NONE));
            KVCache cache = new KVCache(c, B, T);
            int prefix = 4;
            float[] inc = new float[B * T * V];
            for (int t0 = 0; t0 < T; ) {
                int len = t0 == 0 ? prefix : 1;
                int[] ids = new int[B * len];
                boolean[] valid = new boolean[B * len];
                for (int b = 0; b < B; b++) {
                    for (int t = 0; t < len; t++) {
                        ids[b * len + t] = batch.ids[b][t0 + t];
                        valid[b * len + t] = batch.mask[b][t0 + t];
                    }
                }
                float[] lg = tf.logits(tf.extend(cache, TokenBatch.of(B, len, ids, valid, batch.promptLengths), batch.steering, null));
                for (int b = 0; b < B; b++) System.arraycopy(lg, b * len * V, inc, (b * T + t0) * V, len * V);
                t0 += len;
            }
            double maxDiff = 0;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    if (!batch.mask[b][t]) continue;
                    for (int v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(full[(b * T + t) * V + v] - inc[(b * T + t) * V + v]));
                }
            }
            assertTrue(maxDiff < 1e-5, "incremental vs full forward: max diff " + maxDiff);
        }
    }
}
