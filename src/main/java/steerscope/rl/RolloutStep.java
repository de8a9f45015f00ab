package steerscope.rl;

import java.util.ArrayList;
import java.util.List;
import steerscope.model.Generator;
import steerscope.model.Gradients;
import steerscope.model.Model;
import steerscope.model.Sampler;
import steerscope.model.TokenBatch;
import steerscope.model.TokenLoss;
import steerscope.model.Transformer;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;

/**
 * One RL step's work on a share of its prompts, as a pure function of (policy parameters, step seed, prompts):
 * sample G completions per prompt, score them, compute the group advantages, and the gradient of the
 * policy-gradient loss. Sampling seeds depend on (step seed, the prompt's index in the step, the sample's
 * index), never on which machine or batch ran it, so splitting a step's prompts across workers and summing
 * their {@link Contribution}s gives the single-machine step (up to summation order).
 */
public final class RolloutStep {
    /** A prompt of the step, with its index among all the step's prompts. */
    public record Item(int index, Problem problem) {}

    /** One sampled completion. */
    public record Sample(int item, int[] prompt, int[] completion, String text, double reward, boolean correct, double advantage) {}

    /** Sampled completions of a share of the step's prompts. */
    public record Rollouts(List<Sample> samples, int groups, int zeroAdvantageGroups) {}

    private final RlConfig cfg;
    private final Reward reward;
    private final Reward correctness;

    public RolloutStep(RlConfig cfg, Reward reward, Reward correctness) {
        this.cfg = cfg;
        this.reward = reward;
        this.correctness = correctness;
    }

    /** The seed of sample j of the step's prompt i: a hash, so no two (step, i, j) share a stream. */
    public static long sampleSeed(long stepSeed, int item, int sample) {
        long h = stepSeed * 0x9E3779B97F4A7C15L + item * 0xC2B2AE3D27D4EB4FL + sample * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }

    public Rollouts sample(Policy policy, List<Item> items, long stepSeed) {
        List<Generator.Request> reqs = new ArrayList<>();
        for (Item it : items) {
            int[] prompt = policy.prompts.encode(it.problem());
            for (int j = 0; j < cfg.group(); j++) reqs.add(new Generator.Request(prompt, sampleSeed(stepSeed, it.index(), j)));
        }
        Sampler sampler = new Sampler((float) cfg.temperature(), (float) cfg.topP(), 0);
        Generator gen = new Generator(policy.model.transformer, policy.tokenizer::decode);
        List<Generator.Result> results = new ArrayList<>();
        int rolloutBatch = Math.max(cfg.group(), 256 / cfg.group() * cfg.group()); // whole groups per decode batch
        for (int s = 0; s < reqs.size(); s += rolloutBatch) {
            results.addAll(gen.generate(reqs.subList(s, Math.min(reqs.size(), s + rolloutBatch)),
                    new Generator.Options(cfg.maxNewTokens(), sampler, cfg.stop(), true), policy.steering(), null));
        }
        List<Sample> samples = new ArrayList<>();
        int zero = 0;
        for (int i = 0; i < items.size(); i++) {
            Problem p = items.get(i).problem();
            double[] rewards = new double[cfg.group()];
            boolean[] correct = new boolean[cfg.group()];
            String[] texts = new String[cfg.group()];
            for (int j = 0; j < cfg.group(); j++) {
                Generator.Result r = results.get(i * cfg.group() + j);
                texts[j] = policy.tokenizer.decode(r.tokens(), true);
                rewards[j] = reward.score(p, texts[j], r.tokens().length);
                correct[j] = correctness.score(p, texts[j]) > 0.5;
            }
            if (Advantages.allEqual(rewards)) zero++;
            double[] adv = Advantages.compute(cfg.algo(), rewards, cfg.scaleByStd());
            for (int j = 0; j < cfg.group(); j++) {
                samples.add(new Sample(items.get(i).index(), reqs.get(i * cfg.group() + j).prompt(),
                        results.get(i * cfg.group() + j).tokens(), texts[j], rewards[j], correct[j], adv[j]));
            }
        }
        return new Rollouts(samples, items.size(), zero);
    }

    /**
     * The summed (not yet normalised) gradient of the policy-gradient loss over these rollouts, with the
     * normaliser of this share: the driver divides the summed gradients by the summed normalisers.
     */
    public Contribution gradient(Policy policy, Rollouts rollouts, List<float[]> oldLogprobs) {
        return gradient(policy, rollouts, oldLogprobs, new Gradients(policy.model.config, policy.full()));
    }

    /** As {@link #gradient(Policy, Rollouts, List)}, summed into {@code grads} (zeroed by the caller). */
    public Contribution gradient(Policy policy, Rollouts rollouts, List<float[]> oldLogprobs, Gradients grads) {
        Contribution c = new Contribution(grads);
        List<Sample> samples = rollouts.samples();
        c.groups = rollouts.groups();
        c.zeroAdvantageGroups = rollouts.zeroAdvantageGroups();
        for (Sample s : samples) {
            c.sequences++;
            c.rewardSum += s.reward();
            c.correct += s.correct() ? 1 : 0;
            c.completionTokens += s.completion().length;
            c.advantageAbsSum += Math.abs(s.advantage());
        }
        c.normalizer = cfg.lossAgg().normalizer(c.completionTokens, c.sequences, cfg.maxNewTokens());
        c.newLogprobs = new ArrayList<>();
        for (int s0 = 0; s0 < samples.size(); s0 += cfg.microBatch()) {
            List<Sample> mb = samples.subList(s0, Math.min(samples.size(), s0 + cfg.microBatch()));
            microBatch(policy, mb, oldLogprobs == null ? null : oldLogprobs.subList(s0, s0 + mb.size()), grads, c);
        }
        return c;
    }

    private void microBatch(Policy policy, List<Sample> mb, List<float[]> old, Gradients grads, Contribution c) {
        int B = mb.size();
        List<int[]> prompts = new ArrayList<>(B), completions = new ArrayList<>(B);
        int scored = 0;
        for (Sample s : mb) {
            prompts.add(s.prompt());
            completions.add(s.completion());
            scored += s.completion().length;
        }
        TokenBatch batch = TokenBatch.rightPadded(prompts, completions);
        int T = batch.tokens();
        int[] rows = new int[scored], targets = new int[scored];
        float[] coef = new float[scored], adv = new float[scored];
        float[] oldLp = old == null ? null : new float[scored];
        int k = 0;
        for (int b = 0; b < B; b++) {
            Sample s = mb.get(b);
            int P = s.prompt().length, n = s.completion().length;
            float cf = cfg.lossAgg().tokenWeight(n);
            for (int t = 0; t < n; t++, k++) {
                rows[k] = b * T + P + t - 1; // the row that predicts completion token t
                targets[k] = s.completion()[t];
                coef[k] = cf;
                adv[k] = (float) s.advantage();
                if (oldLp != null) oldLp[k] = old.get(b)[t];
            }
        }
        float[] refLp = null;
        if (cfg.klBeta() != 0) { // the frozen base, no vectors, forward only
            Transformer base = policy.base.transformer;
            refLp = base.logprobs(base.forward(batch, null, null, Transformer.Save.NONE), rows, targets);
        }
        Transformer tf = policy.model.transformer;
        Transformer.Forward f = tf.forward(batch, policy.steering(), null, cfg.recompute() ? Transformer.Save.BLOCK_INPUTS : Transformer.Save.ALL);
        c.activationBytes = Math.max(c.activationBytes, f.activationBytes());
        float[] lp = new float[scored];
        double loss = tf.backward(f, new PolicyGradientLoss(rows, targets, coef, adv, oldLp, refLp, cfg.clipEps(), cfg.klBeta()), grads, lp);
        c.lossSum += loss;
        k = 0;
        for (int b = 0; b < B; b++) {
            int n = mb.get(b).completion().length;
            float[] seq = new float[n];
            System.arraycopy(lp, k, seq, 0, n);
            c.newLogprobs.add(seq);
            // the recorded KL takes d in float, as the run's metrics always have (the loss takes it in double)
            if (refLp != null) for (int t = 0; t < n; t++) c.klSum += TokenLoss.k3(refLp[k + t] - lp[k + t]);
            k += n;
        }
    }

    /** A share's summed gradient, its normaliser, and metric sums; added together across shares (on Spark as a {@code GradientShard}). */
    public static final class Contribution {
        public final Gradients grads;
        public double normalizer, rewardSum, advantageAbsSum, klSum, lossSum;
        public long sequences, correct, completionTokens, groups, zeroAdvantageGroups, activationBytes;
        public List<float[]> newLogprobs;

        public Contribution(Gradients grads) {
            this.grads = grads;
        }
    }
}
