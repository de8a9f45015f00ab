package steerscope.rl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import steerscope.model.AdaptiveScale;
import steerscope.model.Gradients;
import steerscope.model.Sampler;
import steerscope.rl.optim.AdamW;
import steerscope.rl.optim.GradClip;
import steerscope.rl.optim.LrSchedule;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;
import steerscope.util.Interrupts;
import steerscope.util.Progress;
import steerscope.util.UserError;

/**
 * The RL loop on one machine: each step takes the next prompts, computes rollouts and the gradient
 * ({@link RolloutStep}, the pure part) into the optimizer's gradient arrays, normalises and clips it, takes an
 * AdamW step at the schedule's learning rate, appends a metrics line, and every K steps writes a checkpoint
 * ({@link RunDirectory}). Everything random derives from (seed, step), so {@code --resume} after a kill
 * continues to the same result as an uninterrupted run.
 */
public final class Trainer {
    /** Computes one step's contribution, its gradient summed into {@code into}; a Spark driver swaps in its distributed version. */
    @FunctionalInterface
    public interface StepFunction {
        RolloutStep.Contribution compute(List<RolloutStep.Item> items, long stepSeed, Gradients into);
    }

    private final RlConfig cfg;
    private final Policy policy;
    private final List<Problem> data;
    private final RolloutStep rollout;
    private final RunDirectory run;
    private final Map<String, String> provenance;
    private final List<AdamW.Param> params = new ArrayList<>();
    private final List<float[]> gradArrays = new ArrayList<>();
    private final Gradients grads; // the optimizer's: each step's gradient is computed into them
    private final AdamW adam;
    private final LrSchedule schedule;
    private StepFunction stepFunction;
    private int crashAfterStep = -1; // tests: simulate a kill right after this step's metrics line

    public Trainer(RlConfig cfg, Policy policy, List<Problem> data, Reward reward, Reward correctness, Path runDir,
                   Map<String, String> provenance) {
        if (data.isEmpty()) throw new UserError("training data is empty");
        this.cfg = cfg;
        this.policy = policy;
        this.data = data;
        this.rollout = new RolloutStep(cfg, reward, correctness);
        this.run = new RunDirectory(runDir);
        this.provenance = provenance;
        this.grads = new Gradients(policy.model.config, policy.full());
        if (policy.full()) {
            Map<String, float[]> weights = policy.model.weights.arraysByName();
            for (Gradients.Weight w : grads.weights()) params.add(new AdamW.Param(w.name(), weights.get(w.name()), w.grad(), w.matrix())); // matrices decay
        } else {
            for (int l : policy.vectors.layers()) params.add(new AdamW.Param("layers." + l, policy.vectors.get(l), grads.vectors[l], true));
            if (policy.adaptive != null) { // a_l of each vector's layer (decays towards the plain vector), and every b_l in one array
                for (int l : policy.vectors.layers()) params.add(new AdamW.Param("scale_a." + l, policy.adaptive.a[l], grads.scaleA[l], true));
                params.add(new AdamW.Param("scale_b", policy.adaptive.b, grads.scaleB, false));
            }
        }
        for (AdamW.Param p : params) gradArrays.add(p.grad());
        this.adam = new AdamW(params, cfg.beta1(), cfg.beta2(), cfg.adamEps(), cfg.weightDecay());
        this.schedule = LrSchedule.of(cfg.schedule(), cfg.lr(), cfg.effectiveWarmupSteps(), Math.max(1, cfg.steps()), 0.0);
        this.stepFunction = (items, seed, into) -> rollout.gradient(policy, rollout.sample(policy, items, seed), null, into);
    }

    /** For tests: throw right after step {@code step} completes (metrics appended, maybe no checkpoint), like a kill. */
    void crashAfter(int step) {
        this.crashAfterStep = step;
    }

    /** Replaces where a step is computed (Spark); the inner epochs of PPO-style clipping reuse rollouts here, so they cannot. */
    public void setStepFunction(StepFunction f) {
        if (cfg.innerEpochs() > 1) throw new IllegalArgumentException("inner epochs reuse a step's rollouts on this machine: no step function");
        this.stepFunction = f;
    }

    /** The prompts of a step: consecutive slices of seeded per-epoch permutations of the data. */
    public List<RolloutStep.Item> itemsOf(int step) {
        List<RolloutStep.Item> items = new ArrayList<>();
        int n = data.size();
        for (int i = 0; i < cfg.promptsPerStep(); i++) {
            long k = (long) step * cfg.promptsPerStep() + i;
            int epoch = (int) (k / n), pos = (int) (k % n);
            items.add(new RolloutStep.Item(i, data.get(permutation(epoch)[pos])));
        }
        return items;
    }

    private int cachedEpoch = -1;
    private int[] cachedPerm;

    private int[] permutation(int epoch) {
        if (epoch != cachedEpoch) {
            int[] p = new int[data.size()];
            for (int i = 0; i < p.length; i++) p[i] = i;
            SplittableRandom r = new SplittableRandom(cfg.seed() * 31 + epoch);
            for (int i = p.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            cachedPerm = p;
            cachedEpoch = epoch;
        }
        return cachedPerm;
    }

    public static long stepSeed(long seed, int step) {
        return RolloutStep.sampleSeed(seed ^ 0x5DEECE66DL, step, -1);
    }

    /** Runs (or resumes) the loop to cfg.steps; returns the metrics of the steps run now. */
    public List<StepMetrics> run(boolean resume) {
        int start = run.open(cfg, resume, params, adam);
        Progress progress = new Progress("train " + cfg.params().json()
                + (cfg.layers() == null ? "" : " (layers " + Arrays.stream(cfg.layers()).mapToObj(Integer::toString).collect(Collectors.joining(",")) + ")"), cfg.steps(), start);
        List<StepMetrics> lines = new ArrayList<>();
        for (int step = start; step < cfg.steps(); step++) {
            StepMetrics m = step(step);
            lines.add(m);
            run.appendMetrics(m);
            boolean last = step + 1 == cfg.steps();
            if ((step + 1) % cfg.checkpointEvery() == 0 || last) run.checkpoint(step + 1, params, adam);
            if (step == crashAfterStep) throw new IllegalStateException("simulated crash after step " + step);
            progress.update(step + 1, m.skipped() != null ? "skipped: " + m.skipped() : String.format(Locale.ROOT, "reward %.3f acc %.3f len %.1f",
                    m.rewardMean(), m.accuracy(), m.responseLength()));
        }
        Interrupts.critical(this::writeFinal);
        return lines;
    }

    private int badInARow = 0;

    /** A step whose numbers went non-finite: skipped, reported, and its prompts saved for debugging. */
    static final class NonFiniteStep extends RuntimeException {
        NonFiniteStep(String what) {
            super(what);
        }
    }

    private StepMetrics step(int step) {
        long t0 = System.nanoTime();
        List<RolloutStep.Item> items = itemsOf(step);
        long seed = stepSeed(cfg.seed(), step);
        RolloutStep.Contribution c;
        double gradNorm;
        double lr = schedule.lr(step);
        try {
            grads.zero();
            RolloutStep.Rollouts rollouts = null;
            if (cfg.innerEpochs() > 1) { // keep the rollouts: later epochs reuse them with the clipped ratio
                rollouts = rollout.sample(policy, items, seed);
                c = rollout.gradient(policy, rollouts, null, grads);
            } else {
                c = stepFunction.compute(items, seed, grads);
            }
            checkFinite(c);
            gradNorm = applyGradient(c, lr);
            for (int epoch = 1; epoch < cfg.innerEpochs(); epoch++) {
                grads.zero();
                RolloutStep.Contribution ce = rollout.gradient(policy, rollouts, c.newLogprobs, grads);
                checkFinite(ce);
                applyGradient(ce, lr);
            }
            badInARow = 0;
        } catch (NonFiniteStep | Sampler.NonFiniteLogits e) {
            badInARow++;
            Path dump = run.saveBadBatch(step, seed, items, e.getMessage());
            System.err.println("step " + step + " skipped: " + e.getMessage() + " (prompts saved to " + dump + ")");
            if (badInARow >= cfg.maxBadSteps()) {
                throw new UserError("stopping: " + badInARow + " steps in a row had non-finite values (last: " + e.getMessage()
                        + "); the vectors were not updated by them, the last good checkpoint is in " + run.path().resolve("checkpoints"));
            }
            return StepMetrics.skipped(step, e.getMessage());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> norms = null;
        if (!policy.full()) {
            norms = new LinkedHashMap<>();
            for (int l : policy.vectors.layers()) norms.put(String.valueOf(l), policy.vectors.norm(l));
        }
        return new StepMetrics(step, null, c.rewardSum / c.sequences, (double) c.correct / c.sequences, c.advantageAbsSum / c.sequences,
                c.zeroAdvantageGroups, c.groups, c.completionTokens > 0 ? c.klSum / c.completionTokens : 0.0,
                c.lossSum / Math.max(c.normalizer, 1e-12), (double) c.completionTokens / c.sequences, gradNorm, lr, norms,
                c.activationBytes / 1e6, c.completionTokens / secs, secs);
    }

    private static void checkFinite(RolloutStep.Contribution c) {
        if (!Double.isFinite(c.rewardSum)) throw new NonFiniteStep("non-finite reward");
        if (!Double.isFinite(c.advantageAbsSum)) throw new NonFiniteStep("non-finite advantage");
        if (!Double.isFinite(c.lossSum)) throw new NonFiniteStep("non-finite loss (log-probabilities or logits)");
    }

    /** Normalises, checks and clips the gradient in place and takes the optimizer step; returns its global norm before clipping. */
    private double applyGradient(RolloutStep.Contribution c, double lr) {
        double norm = Math.max(c.normalizer, 1e-12);
        for (float[] g : gradArrays) {
            for (int i = 0; i < g.length; i++) g[i] /= (float) norm;
        }
        if (!GradClip.allFinite(gradArrays)) throw new NonFiniteStep("non-finite gradient");
        double gradNorm = cfg.maxGradNorm() > 0 ? GradClip.clipByGlobalNorm(gradArrays, cfg.maxGradNorm()) : GradClip.globalNorm(gradArrays);
        adam.step(lr);
        return gradNorm;
    }

    private void writeFinal() {
        if (policy.full()) {
            run.writeModel(policy.model);
        } else {
            policy.vectors.metadata().putAll(provenance);
            policy.vectors.metadata().put("training_config", cfg.toJson());
            run.writeVectors(policy.vectors);
            if (policy.adaptive != null) policy.adaptive.write(run.path().resolve(AdaptiveScale.FILE));
        }
    }
}
