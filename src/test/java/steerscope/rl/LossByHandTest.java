package steerscope.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The loss of one step on a two-sample example, computed by hand, for RLOO and GRPO, with and without KL. */
class LossByHandTest {
    // two completions of one prompt, one token each; rewards 1 and 0
    static final double[] REWARDS = {1, 0};
    static final float[] LOGP = {-0.5f, -2.0f};
    static final float[] REF = {-0.7f, -1.5f};

    /** Σ over the two tokens of lossAndGrad, with sequence aggregation over 2 sequences (c = 1/2). */
    static double loss(double[] adv, double beta, float[] gradOut) {
        PolicyGradientLoss l = new PolicyGradientLoss(new int[] {0, 1}, new int[] {5, 6}, new float[] {0.5f, 0.5f},
                new float[] {(float) adv[0], (float) adv[1]}, null, REF, 0.2, beta);
        double total = 0;
        float[] g = new float[1];
        for (int i = 0; i < 2; i++) {
            total += l.lossAndGrad(i, LOGP[i], g);
            gradOut[i] = g[0];
        }
        return total;
    }

    @Test
    void rloo() {
        // RLOO baseline: the other sample's reward: A = (1 - 0, 0 - 1) = (1, -1)
        double[] adv = Advantages.compute(RlConfig.Algo.RLOO, REWARDS, false);
        assertArrayEquals(new double[] {1, -1}, adv, 1e-12);
        float[] g = new float[2];
        // L = 1/2 (-(1)(-0.5)) + 1/2 (-(-1)(-2.0)) = 0.25 - 1.0 = -0.75
        assertEquals(-0.75, loss(adv, 0, g), 1e-6);
        assertArrayEquals(new float[] {-0.5f, 0.5f}, g, 1e-6f);
    }

    @Test
    void grpoWithStd() {
        // mean 0.5, unbiased std sqrt(0.5) = 0.70711; A = ±0.5 / (0.70711 + 1e-4) = ±0.70701
        double[] adv = Advantages.compute(RlConfig.Algo.GRPO, REWARDS, true);
        double a = 0.5 / (Math.sqrt(0.5) + 1e-4);
        assertArrayEquals(new double[] {a, -a}, adv, 1e-12);
        float[] g = new float[2];
        // L = 1/2 (a·0.5) + 1/2 (-a·2.0) = -0.75 a
        assertEquals(-0.75 * a, loss(adv, 0, g), 1e-6);
    }

    @Test
    void rlooWithKl() {
        double[] adv = {1, -1};
        float[] g = new float[2];
        // KL3 per token: d = ref - logp; e^d - d - 1. token 0: d = -0.2 -> 0.0187308; token 1: d = 0.5 -> 0.1487213
        double kl0 = Math.exp(-0.2) + 0.2 - 1, kl1 = Math.exp(0.5) - 0.5 - 1;
        double beta = 0.1;
        assertEquals(-0.75 + 0.5 * beta * (kl0 + kl1), loss(adv, beta, g), 1e-6);
        // dL/dlogp = c (-A + beta (1 - e^d))
        assertEquals(0.5 * (-1 + beta * (1 - Math.exp(-0.2))), g[0], 1e-6);
        assertEquals(0.5 * (1 + beta * (1 - Math.exp(0.5))), g[1], 1e-6);
    }

    @Test
    void clippedRatioStopsTheGradient() {
        // second inner epoch: old logp -1.0, new -0.5: ratio e^0.5 = 1.65 > 1.2 with A > 0: clipped, no gradient
        PolicyGradientLoss l = new PolicyGradientLoss(new int[] {0}, new int[] {1}, new float[] {1f}, new float[] {1f},
                new float[] {-1.0f}, null, 0.2, 0);
        float[] g = new float[1];
        assertEquals(-1.2, l.lossAndGrad(0, -0.5f, g), 1e-6);
        assertEquals(0f, g[0]);
        // ratio inside the range: gradient -A r
        assertEquals(-Math.exp(0.1), l.lossAndGrad(0, -0.9f, g), 1e-6);
        assertEquals(-Math.exp(0.1), g[0], 1e-6);
    }

    @Test
    void equalRewardsGiveZeroAdvantage() {
        assertArrayEquals(new double[] {0, 0, 0}, Advantages.compute(RlConfig.Algo.GRPO, new double[] {1, 1, 1}, true), 0);
        assertArrayEquals(new double[] {0, 0, 0}, Advantages.compute(RlConfig.Algo.RLOO, new double[] {0, 0, 0}, false), 0);
    }
}
