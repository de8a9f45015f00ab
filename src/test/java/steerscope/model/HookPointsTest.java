package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.rl.TinyPolicy;
import steerscope.task.Problem;
import steerscope.tensor.Kernels;

/** The attention and MLP hook points hold what their names say, recomputed here from the weights by hand. */
class HookPointsTest {
    @TempDir static Path dir;
    static TinyPolicy policy;
    static Transformer tf;
    static ModelConfig c;
    static int[] ids;

    @BeforeAll
    static void setUp() {
        policy = new TinyPolicy(dir, 11);
        tf = policy.model.transformer;
        c = policy.model.config;
        ids = policy.prompts.encode(new Problem("p", "What comes first?", "A"));
    }

    static ActivationCache run(Hooks extra) {
        ActivationCache cache = new ActivationCache();
        Hooks h = extra == null ? new Hooks() : extra;
        h.cache(cache, n -> true);
        tf.forward(TokenBatch.single(ids, ids.length), null, h, Transformer.Save.NONE);
        return cache;
    }

    @Test
    void qkvAreTheProjectionsOfTheNormalisedInputBeforeRope() {
        ActivationCache a = run(null);
        int T = ids.length, d = c.hiddenSize();
        for (int l = 0; l < c.nLayers(); l++) {
            ModelWeights.Layer w = policy.model.weights.layers[l];
            float[] ln = new float[T * d];
            Kernels.rmsnorm(ln, a.get(tf.hookNames.residPre[l]).data(), w.attnNorm, null, T, d, c.rmsNormEps());
            float[] q = new float[T * c.qDim()], k = new float[T * c.kvDim()], v = new float[T * c.kvDim()];
            Kernels.matmul(q, ln, T, w.wq, w.bq);
            Kernels.matmul(k, ln, T, w.wk, w.bk);
            Kernels.matmul(v, ln, T, w.wv, w.bv);
            assertArrayEquals(q, a.get(tf.hookNames.attnQ[l]).data(), 1e-5f);
            assertArrayEquals(k, a.get(tf.hookNames.attnK[l]).data(), 1e-5f);
            assertArrayEquals(v, a.get(tf.hookNames.attnV[l]).data(), 1e-5f);
            assertArrayEquals(new int[] {1, T, c.nHeads(), c.headDim()}, a.get(tf.hookNames.attnQ[l]).shape());
            assertArrayEquals(new int[] {1, T, c.nKvHeads(), c.headDim()}, a.get(tf.hookNames.attnK[l]).shape());
        }
    }

    @Test
    void zThroughOProjIsTheAttentionOutputAndPostThroughDownProjIsTheMlpOutput() {
        ActivationCache a = run(null);
        int T = ids.length, d = c.hiddenSize(), ff = c.intermediateSize();
        for (int l = 0; l < c.nLayers(); l++) {
            ModelWeights.Layer w = policy.model.weights.layers[l];
            float[] attn = new float[T * d], mlp = new float[T * d];
            Kernels.matmul(attn, a.get(tf.hookNames.attnZ[l]).data(), T, w.wo, null);
            Kernels.matmul(mlp, a.get(tf.hookNames.mlpPost[l]).data(), T, w.wDown, null);
            assertArrayEquals(a.get(tf.hookNames.attnOut[l]).data(), attn, 1e-5f);
            assertArrayEquals(a.get(tf.hookNames.mlpOut[l]).data(), mlp, 1e-5f);
            assertArrayEquals(new int[] {1, T, ff}, a.get(tf.hookNames.mlpPost[l]).shape());
            // z of a head at the first position is that head's value there (it can only attend to itself)
            int hd = c.headDim(), group = c.nHeads() / c.nKvHeads();
            float[] z = a.get(tf.hookNames.attnZ[l]).data(), v = a.get(tf.hookNames.attnV[l]).data();
            for (int h = 0; h < c.nHeads(); h++) {
                for (int i = 0; i < hd; i++) assertEquals(v[(h / group) * hd + i], z[h * hd + i], 1e-5f);
            }
        }
    }

    @Test
    void writingAHookPointChangesTheForward() {
        // values of every head zeroed in block 1: z and the attention output are zero, so resid_mid = resid_pre
        int l = 1;
        ActivationCache a = run(new Hooks().add(tf.hookNames.attnV[l], x -> Arrays.fill(x.data(), 0f)));
        float[] z = a.get(tf.hookNames.attnZ[l]).data();
        for (float x : z) assertEquals(0f, x, 0f);
        assertArrayEquals(a.get(tf.hookNames.residPre[l]).data(), a.get(tf.hookNames.residMid[l]).data(), 0f);
        // doubling the queries sharpens the pattern: it changes
        ActivationCache plain = run(null);
        ActivationCache sharp = run(new Hooks().add(tf.hookNames.attnQ[l], x -> Kernels.scale(x.data(), 0, x.size(), 2f)));
        float[] p0 = plain.get(tf.hookNames.attnPattern[l]).data(), p1 = sharp.get(tf.hookNames.attnPattern[l]).data();
        double diff = 0;
        for (int i = 0; i < p0.length; i++) diff = Math.max(diff, Math.abs(p0[i] - p1[i]));
        assertTrue(diff > 1e-4, "pattern moved by " + diff);
    }
}
