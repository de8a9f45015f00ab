package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The forward-only {@link Transformer#logprobs} against the two ways it replaced: the log-softmax of the whole
 * [rows, vocab] logits, and the log-probs a training backward reports (how the KL reference used to be read).
 * More scored rows than one chunk of the head (at most 256), so the chunk boundaries are crossed; the Java kernels
 * are batch invariant, so both agree bit for bit.
 */
class LogprobsTest {
    @Test
    void equalTheFullLogitsAndTheBackwardsLogprobsBitForBit() {
        try (Model m = GeneratorTest.model()) {
            Transformer tf = m.transformer;
            int V = m.config.vocabSize(), d = m.config.hiddenSize();
            List<int[]> prompts = new ArrayList<>(), completions = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(7);
            for (int b = 0; b < 5; b++) {
                prompts.add(GeneratorTest.prompt(5 + b, 10 + b));
                completions.add(GeneratorTest.prompt(60 + 13 * b, 20 + b));
            }
            TokenBatch batch = TokenBatch.rightPadded(prompts, completions);
            SteeringVectors v = new SteeringVectors(m.config.nLayers(), d);
            for (int l = 0; l < m.config.nLayers(); l++) {
                float[] x = new float[d];
                for (int i = 0; i < d; i++) x[i] = (float) r.nextGaussian() * 0.3f;
                v.set(l, x);
            }
            Steering steering = new Steering(v, 1f, VectorPositions.GENERATED, null);
            // every completion token, as the RL step scores them
            List<int[]> scored = new ArrayList<>();
            for (int b = 0; b < batch.rows(); b++) {
                for (int t = 0; t < completions.get(b).length; t++) {
                    scored.add(new int[] {b * batch.tokens() + prompts.get(b).length + t - 1, completions.get(b)[t]});
                }
            }
            int n = scored.size();
            int[] rows = new int[n], targets = new int[n];
            for (int i = 0; i < n; i++) {
                rows[i] = scored.get(i)[0];
                targets[i] = scored.get(i)[1];
            }
            assertEquals(true, n > 256, "more rows than one chunk: " + n);

            float[] lp = tf.logprobs(tf.forward(batch, steering, null, Transformer.Save.NONE), rows, targets);
            float[] logits = tf.logits(tf.forward(batch, steering, null, Transformer.Save.NONE));
            Transformer.Forward train = tf.forward(batch, steering, null, Transformer.Save.BLOCK_INPUTS);
            float[] fromBackward = new float[n];
            tf.backward(train, new TokenLoss(rows, targets) {
                @Override
                public double lossAndGrad(int i, float logp, float[] grad) {
                    grad[0] = 0;
                    return 0;
                }
            }, new Gradients(m.config, false), fromBackward);
            for (int i = 0; i < n; i++) {
                float full = Transformer.logprob(logits, rows[i] * V, V, targets[i]);
                assertEquals(Float.floatToIntBits(full), Float.floatToIntBits(lp[i]), "row " + rows[i] + ": " + full + " vs " + lp[i]);
                assertEquals(Float.floatToIntBits(fromBackward[i]), Float.floatToIntBits(lp[i]), "row " + rows[i] + " against the backward");
            }
        }
    }

    @Test
    void aBatchOfTheWrongShapeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBatch(2, 3, new int[5], new boolean[6], new int[2], new int[2]));
        assertThrows(IllegalArgumentException.class, () -> new TokenBatch(2, 3, new int[6], new boolean[6], new int[1], new int[2]));
    }
}
