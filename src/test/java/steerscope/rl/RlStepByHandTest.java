package steerscope.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.model.Gradients;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.model.WeightedLogProbLoss;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;

/**
 * One RL step's gradient for the modes the default recipe leaves off, rebuilt by hand on 2 prompts x 3 sampled
 * completions: the advantages (RLOO, GRPO with and without the std), the normaliser and per-token coefficient of
 * each loss aggregation (sequence, token, drgrpo), the k3 KL against the frozen base's log-probs, and the clipped
 * ratio of a second inner epoch. The hand side computes each token's log-prob from the logits of a separate,
 * unpadded forward, derives dL/dlogp from the formulas, and only then uses the model's backward (checked
 * against torch in OracleTest) to turn Σ coef · dL/dlogp · ∇logp into a vector gradient.
 */
class RlStepByHandTest {
    @TempDir
    static Path dir;
    static TinyPolicy tiny;

    /** Deterministic and varied within a group: the completion text's hash, mod 3. */
    static final Reward HASH_MOD_3 = new Reward() {
        @Override
        public String name() {
            return "hash_mod_3";
        }

        @Override
        public double score(Problem p, String completion) {
            return Math.floorMod(completion.hashCode(), 3);
        }
    };

    @BeforeAll
    static void setUp() {
        tiny = new TinyPolicy(dir, 5);
    }

    static RlConfig config(UnaryOperator<RlConfig.Builder> changes) {
        return changes.apply(RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().group(3).promptsPerStep(2).maxNewTokens(6).microBatch(4)
                .temperature(1.0).topP(1.0).clipEps(0.2).innerEpochs(1).klBeta(0.0).recompute(false)).build();
    }

    /** A vectors policy whose vectors are random (so it differs from the base and the KL is not zero). */
    static Policy policy(long seed, float std) {
        Policy p = tiny.vectors();
        SplittableRandom r = new SplittableRandom(seed);
        for (int l : p.vectors.layers()) for (int i = 0; i < p.vectors.dModel(); i++) p.vectors.get(l)[i] = (float) (std * (2 * r.nextDouble() - 1));
        return p;
    }

    static List<RolloutStep.Item> items() {
        return List.of(new RolloutStep.Item(0, tiny.problems.get(0)), new RolloutStep.Item(1, tiny.problems.get(2)));
    }

    /** Log-probs of a sample's completion tokens under a model with the given steering, from one unpadded forward. */
    static double[] logprobs(Model m, Steering s, RolloutStep.Sample smp) {
        int P = smp.prompt().length, n = smp.completion().length, T = P + n, V = m.config.vocabSize();
        float[] logits = m.transformer.logits(forward(m, s, smp, Transformer.Save.NONE));
        double[] lp = new double[n];
        for (int j = 0; j < n; j++) {
            int row = P + j - 1;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[row * V + v]);
            for (int v = 0; v < V; v++) sum += Math.exp(logits[row * V + v] - max);
            lp[j] = logits[row * V + smp.completion()[j]] - max - Math.log(sum);
        }
        return lp;
    }

    static Transformer.Forward forward(Model m, Steering s, RolloutStep.Sample smp, Transformer.Save save) {
        int P = smp.prompt().length, T = P + smp.completion().length;
        int[] ids = new int[T];
        System.arraycopy(smp.prompt(), 0, ids, 0, P);
        System.arraycopy(smp.completion(), 0, ids, P, T - P);
        return m.transformer.forward(TokenBatch.single(ids, P), s, null, save);
    }

    /** Adds Σ_j w[j] ∇_vectors logp_j of one sample into out (the model's backward with weights −w). */
    static void addWeightedGradient(Policy p, RolloutStep.Sample smp, double[] w, float[][] out) {
        int P = smp.prompt().length, T = P + smp.completion().length;
        int[][] ids = new int[1][T];
        System.arraycopy(smp.prompt(), 0, ids[0], 0, P);
        System.arraycopy(smp.completion(), 0, ids[0], P, T - P);
        boolean[][] mask = new boolean[1][T];
        Arrays.fill(mask[0], true);
        float[][] weights = new float[1][T];
        for (int j = 0; j < w.length; j++) weights[0][P + j] = (float) -w[j];
        Gradients g = new Gradients(p.model.config, false);
        p.model.transformer.backward(forward(p.model, p.steering(), smp, Transformer.Save.ALL),
                WeightedLogProbLoss.of(ids, mask, weights, null, null, 0), g, null);
        for (int l = 0; l < out.length; l++) for (int i = 0; i < out[l].length; i++) out[l][i] += g.vectors[l][i];
    }

    /** max |got − want| / max |want| over every layer's gradient. */
    static double relativeError(float[][] got, float[][] want) {
        double diff = 0, scale = 0;
        for (int l = 0; l < want.length; l++) {
            for (int i = 0; i < want[l].length; i++) {
                diff = Math.max(diff, Math.abs(got[l][i] - want[l][i]));
                scale = Math.max(scale, Math.abs(want[l][i]));
            }
        }
        assertTrue(scale > 1e-4, "the gradient is not zero, so matching it means something: " + scale);
        return diff / scale;
    }

    /** The advantages of one group as the paper and TRL define them, written out here. */
    static double[] advantages(String algo, boolean scaleByStd, double[] r) {
        int G = r.length;
        double sum = 0;
        for (double x : r) sum += x;
        double mean = sum / G, var = 0;
        for (double x : r) var += (x - mean) * (x - mean);
        double std = Math.sqrt(var / (G - 1));
        double[] a = new double[G];
        for (int j = 0; j < G; j++) {
            a[j] = algo.equals("rloo") ? r[j] - (sum - r[j]) / (G - 1) : r[j] - mean;
            if (scaleByStd) a[j] /= std + 1e-4;
        }
        return a;
    }

    @ParameterizedTest(name = "{0}, std {1}, loss-agg {2}, beta {3}")
    @CsvSource({"grpo, true, token, 0.1", "rloo, false, sequence, 0.0", "rloo, false, drgrpo, 0.05", "grpo, false, sequence, 0.0"})
    void firstEpochGradientMatchesTheHandFormula(String algo, boolean scaleByStd, String lossAgg, double beta) {
        RlConfig cfg = config(b -> b.algo(RlConfig.Algo.parse(algo)).scaleByStd(scaleByStd).lossAgg(RlConfig.LossAgg.parse(lossAgg)).klBeta(beta));
        Policy p = policy(3, 0.4f);
        RolloutStep step = new RolloutStep(cfg, HASH_MOD_3, HASH_MOD_3);
        RolloutStep.Rollouts ro = step.sample(p, items(), 21);
        List<RolloutStep.Sample> samples = ro.samples();
        assertEquals(6, samples.size());

        // advantages, group by group
        for (int i = 0; i < 2; i++) {
            double[] r = new double[3];
            for (int j = 0; j < 3; j++) r[j] = samples.get(3 * i + j).reward();
            assertFalse(r[0] == r[1] && r[1] == r[2], "group " + i + " has varied rewards, so its advantages are not all zero");
            double[] a = advantages(algo, scaleByStd, r);
            for (int j = 0; j < 3; j++) assertEquals(a[j], samples.get(3 * i + j).advantage(), 1e-12, "advantage " + i + "," + j);
        }

        // completions cut to 2..6 tokens (as end-of-sequence would), so the three normalisers and the per-sequence
        // coefficient differ: sampled rollouts of this random model all run to max_new_tokens
        List<RolloutStep.Sample> cut = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            RolloutStep.Sample s = samples.get(k);
            cut.add(new RolloutStep.Sample(s.item(), s.prompt(), Arrays.copyOf(s.completion(), 2 + k % 5), s.text(),
                    s.reward(), s.correct(), s.advantage()));
        }
        samples = cut;
        RolloutStep.Contribution c = step.gradient(p, new RolloutStep.Rollouts(samples, ro.groups(), ro.zeroAdvantageGroups()), null);
        int L = p.model.config.nLayers(), d = p.model.config.hiddenSize();
        float[][] want = new float[L][d];
        double loss = 0, kl = 0;
        long tokens = 0;
        for (RolloutStep.Sample s : samples) {
            int n = s.completion().length;
            tokens += n;
            double[] lp = logprobs(p.model, p.steering(), s), ref = logprobs(p.base, null, s);
            double coef = lossAgg.equals("sequence") ? 1.0 / n : 1.0; // token and drgrpo differ only in the normaliser
            double[] w = new double[n];
            for (int j = 0; j < n; j++) {
                double dd = ref[j] - lp[j], k3 = Math.exp(dd) - dd - 1;
                loss += coef * (-s.advantage() * lp[j] + beta * k3);
                w[j] = coef * (-s.advantage() + beta * (1 - Math.exp(dd))); // dL/dlogp
                kl += k3;
            }
            addWeightedGradient(p, s, w, want);
        }
        double normaliser = switch (lossAgg) {
            case "token" -> tokens;
            case "sequence" -> 6;
            default -> 6.0 * 6; // drgrpo: max_new_tokens x sequences
        };
        assertEquals(normaliser, c.normalizer, 0, "normaliser");
        assertEquals(loss, c.lossSum, 1e-5 * Math.max(1, Math.abs(loss)), "loss");
        if (beta != 0) {
            assertTrue(kl > 1e-4, "the policy differs from the base: KL " + kl);
            assertEquals(kl, c.klSum, 1e-5 * kl, "k3 KL against the base");
        }
        double err = relativeError(c.grads.vectors, want);
        System.out.printf("%s std %b %s beta %s: normaliser %.0f, loss %.6f, gradient rel err %.2g%n", algo, scaleByStd, lossAgg, beta,
                normaliser, loss, err);
        assertTrue(err < 1e-4, "gradient relative error " + err);
    }

    @Test
    void secondInnerEpochUsesTheClippedRatioAgainstTheSamplingLogprobs() {
        RlConfig cfg = config(b -> b.algo(RlConfig.Algo.GRPO).scaleByStd(true).lossAgg(RlConfig.LossAgg.TOKEN).innerEpochs(2).clipEps(0.2));
        Policy p = policy(4, 0.4f);
        RolloutStep step = new RolloutStep(cfg, HASH_MOD_3, HASH_MOD_3);
        RolloutStep.Rollouts ro = step.sample(p, items(), 22);
        RolloutStep.Contribution first = step.gradient(p, ro, null);
        List<RolloutStep.Sample> samples = ro.samples();
        // the log-probs kept for later epochs are those of the policy that sampled
        for (int k = 0; k < samples.size(); k++) {
            double[] lp = logprobs(p.model, p.steering(), samples.get(k));
            for (int j = 0; j < lp.length; j++) assertEquals(lp[j], first.newLogprobs.get(k)[j], 1e-5, "old logprob " + k + "," + j);
        }

        // the policy moves (as after the first epoch's update), then the second epoch's gradient
        SplittableRandom r = new SplittableRandom(8);
        for (int l : p.vectors.layers()) for (int i = 0; i < p.vectors.dModel(); i++) p.vectors.get(l)[i] += (float) (0.6 * (2 * r.nextDouble() - 1));
        RolloutStep.Contribution second = step.gradient(p, ro, first.newLogprobs);

        int L = p.model.config.nLayers(), d = p.model.config.hiddenSize();
        float[][] want = new float[L][d];
        double loss = 0, eps = 0.2;
        int clipped = 0, flowing = 0;
        for (int k = 0; k < samples.size(); k++) {
            RolloutStep.Sample s = samples.get(k);
            double a = s.advantage();
            double[] lp = logprobs(p.model, p.steering(), s), w = new double[lp.length];
            for (int j = 0; j < lp.length; j++) {
                double ratio = Math.exp(lp[j] - first.newLogprobs.get(k)[j]);
                // PPO: past 1+eps with A > 0, or below 1-eps with A < 0, the objective is flat; otherwise -A·r
                boolean flat = a > 0 && ratio > 1 + eps || a < 0 && ratio < 1 - eps;
                if (a != 0) {
                    if (flat) clipped++;
                    else flowing++;
                }
                loss += flat ? -a * (a > 0 ? 1 + eps : 1 - eps) : -a * ratio;
                w[j] = flat ? 0 : -a * ratio;
            }
            addWeightedGradient(p, s, w, want);
        }
        System.out.printf("second epoch: %d tokens clipped, %d with gradient%n", clipped, flowing);
        assertTrue(clipped > 0 && flowing > 0, "both branches of the clip occur: clipped " + clipped + ", flowing " + flowing);
        assertEquals(loss, second.lossSum, 1e-5 * Math.max(1, Math.abs(loss)), "clipped surrogate loss");
        double err = relativeError(second.grads.vectors, want);
        assertTrue(err < 1e-4, "gradient relative error " + err);
    }
}
