package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import steerscope.OracleRunner;

/**
 * A vectors-only backward stops at the lowest steered layer's vector: its vector gradients equal, bit for bit, those
 * of a backward that goes all the way down (the one that also takes every weight's gradient).
 */
class VectorBackwardStopTest {
    @ParameterizedTest
    @EnumSource(value = Transformer.Save.class, names = {"ALL", "BLOCK_INPUTS"})
    void vectorGradientsEqualThoseOfTheWholeBackward(Transformer.Save save) {
        try (Model m = Model.load(OracleRunner.checkpoint("qwen2-f32-mha", "all"))) {
            Transformer tf = m.transformer;
            int L = m.config.nLayers(), d = m.config.hiddenSize();
            assertTrue(L >= 3, "a steered layer above the lowest one, and a layer below it");
            List<int[]> prompts = new ArrayList<>(), completions = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                prompts.add(GeneratorTest.prompt(4 + b, 30 + b));
                completions.add(GeneratorTest.prompt(12 + 5 * b, 40 + b));
            }
            TokenBatch batch = TokenBatch.rightPadded(prompts, completions);
            int[] steered = {L - 2, L - 1}; // the backward stops at L - 2, past the whole of block L - 1
            SteeringVectors v = SteeringVectors.zeros(L, d, steered);
            SplittableRandom r = new SplittableRandom(3);
            for (int l : steered) for (int i = 0; i < d; i++) v.get(l)[i] = (float) r.nextGaussian() * 0.3f;
            Steering steering = new Steering(v, 1f, VectorPositions.ALL, null);
            List<int[]> scored = new ArrayList<>();
            for (int b = 0; b < batch.rows(); b++) {
                for (int t = 0; t < completions.get(b).length; t++) {
                    scored.add(new int[] {b * batch.tokens() + prompts.get(b).length + t - 1, completions.get(b)[t]});
                }
            }
            int[] rows = scored.stream().mapToInt(x -> x[0]).toArray(), targets = scored.stream().mapToInt(x -> x[1]).toArray();
            TokenLoss loss = new TokenLoss(rows, targets) {
                @Override
                public double lossAndGrad(int i, float logp, float[] grad) {
                    grad[0] = -1f / rows.length;
                    return -logp / rows.length;
                }
            };
            Gradients vectorsOnly = new Gradients(m.config, false), everything = new Gradients(m.config, true);
            double a = tf.backward(tf.forward(batch, steering, null, save), loss, vectorsOnly, null);
            double b = tf.backward(tf.forward(batch, steering, null, save), loss, everything, null);
            assertEquals(a, b);
            for (int l : steered) {
                assertArrayEquals(everything.vectors[l], vectorsOnly.vectors[l], "layer " + l + "'s vector gradient");
                float norm = 0;
                for (float g : vectorsOnly.vectors[l]) norm += g * g;
                assertTrue(norm > 0, "a gradient to compare at layer " + l);
            }
        }
    }
}
