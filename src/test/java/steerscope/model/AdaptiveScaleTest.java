package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.OracleRunner;
import steerscope.io.SafeTensors;

/**
 * The adaptive scale s_l(h) = a_l·h + b_l on the steering vectors (model/AdaptiveScale): the forward and the
 * exact backward (d/dv, d/da, d/db and the term of d/dh through s) against PyTorch autograd
 * (src/test/python/adaptive_oracle.py on the oracle's tiny checkpoints and batch), and a = 0, b = 1 giving the
 * plain vectors' forward and vector gradient bit for bit.
 */
class AdaptiveScaleTest {
    static final String ADAPTIVE_SCRIPT = "src/test/python/adaptive_oracle.py";

    @ParameterizedTest(name = "{0} vectors at {1}")
    // vectors on two layers (all but the first case): the earlier vector's gradient passes through the later
    // layer's d/dh term of s
    @CsvSource({"qwen2-f32-tied,all", "qwen2-bf16,generated", "llama-f32-rope3,prompt", "qwen2-f32-mha,all"})
    void forwardAndGradientsMatchTorchAutograd(String caseName, String positions) {
        Path dir = OracleRunner.checkpoint(caseName, positions);
        OracleRunner.run(List.of(OracleRunner.PYTHON.toString(), ADAPTIVE_SCRIPT, "--case", caseName, "--dir", dir.toString()));
        try (Model model = Model.load(dir); SafeTensors want = SafeTensors.open(dir.resolve("adaptive.safetensors"))) {
            ModelConfig c = model.config;
            int L = c.nLayers(), d = c.hiddenSize(), V = c.vocabSize();
            OracleBatch batch = new OracleBatch(dir, c);
            AdaptiveScale scale = AdaptiveScale.identity(L, d);
            float[] a = want.floats("scale.a");
            for (int l = 0; l < L; l++) System.arraycopy(a, l * d, scale.a[l], 0, d);
            System.arraycopy(want.floats("scale.b"), 0, scale.b, 0, L);
            Steering steering = batch.steering.withAdaptive(scale);
            Transformer tf = model.transformer;
            WeightedLogProbLoss loss = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, batch.klWeights,
                    batch.refLogprobs, batch.klCoef);

            Transformer.Forward f = tf.forward(batch.tokens(), steering, null, Transformer.Save.ALL);
            float[] logits = tf.logits(f), wantLogits = want.floats("logits");
            double maxDiff = 0;
            for (int n = 0; n < batch.B * batch.T; n++) {
                if (!batch.mask[n / batch.T][n % batch.T]) continue;
                for (int v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(logits[n * V + v] - wantLogits[n * V + v]));
            }
            assertTrue(maxDiff < OracleTest.LOGIT_TOL, "max logit difference " + maxDiff);

            Gradients g = new Gradients(c, false);
            double L0 = tf.backward(f, loss, g, null);
            float wantLoss = want.floats("loss")[0];
            assertEquals(wantLoss, L0, 1e-4 * Math.max(1, Math.abs(wantLoss)), "loss");
            double rv = OracleTest.assertClose("grad.vectors", flat(g.vectors, L, d), want.floats("grad.vectors"));
            double ra = OracleTest.assertClose("grad.scale_a", flat(g.scaleA, L, d), want.floats("grad.scale_a"));
            double rb = OracleTest.assertClose("grad.scale_b", g.scaleB, want.floats("grad.scale_b"));
            System.out.printf("%s/%s adaptive: max |logit diff| %.3g, grad rel err v %.3g, a %.3g, b %.3g%n",
                    caseName, positions, maxDiff, rv, ra, rb);
            // the checked gradients are not trivially zero
            double bNorm = 0;
            for (float x : g.scaleB) bNorm += Math.abs(x);
            assertTrue(bNorm > 1e-4, "d loss / d b is zero: nothing was checked");

            // activation checkpointing recomputes the same h, so the same gradients
            Gradients gr = new Gradients(c, false);
            tf.backward(tf.forward(batch.tokens(), steering, null, Transformer.Save.BLOCK_INPUTS), loss, gr, null);
            for (int l = 0; l < L; l++) {
                assertArrayEquals(g.scaleA[l], gr.scaleA[l], 1e-6f, "recomputed d/da, layer " + l);
                assertArrayEquals(g.vectors[l], gr.vectors[l], 1e-6f, "recomputed d/dv, layer " + l);
            }
            assertArrayEquals(g.scaleB, gr.scaleB, 1e-6f, "recomputed d/db");

        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"qwen2-f32-tied", "llama-f32-rope3"})
    void identityScaleIsThePlainVectorsBitForBit(String caseName) {
        Path dir = OracleRunner.checkpoint(caseName, "generated");
        try (Model model = Model.load(dir)) {
            ModelConfig c = model.config;
            OracleBatch batch = new OracleBatch(dir, c);
            Transformer tf = model.transformer;
            Steering adaptive = batch.steering.withAdaptive(AdaptiveScale.identity(c.nLayers(), c.hiddenSize()));
            WeightedLogProbLoss loss = WeightedLogProbLoss.of(batch.ids, batch.mask, batch.lossWeights, batch.klWeights,
                    batch.refLogprobs, batch.klCoef);
            Transformer.Forward fp = tf.forward(batch.tokens(), batch.steering, null, Transformer.Save.ALL);
            Transformer.Forward fa = tf.forward(batch.tokens(), adaptive, null, Transformer.Save.ALL);
            assertArrayEquals(tf.logits(fp), tf.logits(fa), "logits with a = 0, b = 1 differ from the plain vectors'");
            Gradients gp = new Gradients(c, false), ga = new Gradients(c, false);
            assertEquals(tf.backward(fp, loss, gp, null), tf.backward(fa, loss, ga, null), "loss");
            for (int l = 0; l < c.nLayers(); l++) assertArrayEquals(gp.vectors[l], ga.vectors[l], "vector gradient, layer " + l);
            // and the scale itself does matter: b = 2 is not the plain forward
            AdaptiveScale doubled = AdaptiveScale.identity(c.nLayers(), c.hiddenSize());
            Arrays.fill(doubled.b, 2f);
            float[] l2 = tf.logits(tf.forward(batch.tokens(), batch.steering.withAdaptive(doubled), null, Transformer.Save.NONE));
            assertTrue(!Arrays.equals(tf.logits(fp), l2), "b = 2 gave the plain logits");
        }
    }

    private static float[] flat(float[][] x, int L, int d) {
        float[] out = new float[L * d];
        for (int l = 0; l < L; l++) System.arraycopy(x[l], 0, out, l * d, d);
        return out;
    }
}
