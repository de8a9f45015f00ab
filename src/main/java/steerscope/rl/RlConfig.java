package steerscope.rl;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import steerscope.io.Json;
import steerscope.rl.optim.LrSchedule;
import steerscope.util.EnumWords;
import steerscope.util.UserError;

/**
 * Everything that fixes an RL run; saved as the run directory's config.json, so a run can be reproduced and
 * resumed. {@link #paper} gives the recipe of "Small Vectors, Big Effects" as its public code runs it: RLOO
 * (leave-one-out baseline, no std division, no clipping, no KL), 16 samples x 16 prompts, temperature 1, the
 * policy-gradient loss summed over tokens and divided by the step's generated tokens, reward +1 / -1 on the
 * last {@code \boxed{}} only, AdamW at 1e-3 for vectors (1e-6 for full fine-tuning), constant learning rate
 * after a warm-up of 3% of the steps, gradient norm clipped at 2. Change fields with {@link #toBuilder}.
 */
public record RlConfig(
        Params params,         // "vectors" (the steering vectors only) or "full" (every weight)
        int[] layers,          // layers that get a vector; null = all
        Algo algo,             // RLOO or GRPO advantages
        boolean scaleByStd,    // GRPO's division of the advantage by the group's std
        LossAgg lossAgg,       // how the policy-gradient loss is summed and normalised
        int group,             // completions per prompt
        int promptsPerStep,
        int steps,
        int innerEpochs,       // > 1 reuses a batch with PPO-style clipping
        double clipEps,
        double lr,
        double beta1,
        double beta2,
        double adamEps,
        double weightDecay,
        double maxGradNorm,    // 0 = no clipping of the gradient norm
        int warmupSteps,
        double warmupRatio,    // warm-up of ceil(warmupRatio x steps) steps, when that is more than warmupSteps (HF's warmup_ratio)
        LrSchedule.Kind schedule, // constant or cosine after the warm-up
        double klBeta,         // coefficient of the k3 KL to the frozen base; 0 = none
        int maxNewTokens,
        List<String> stop,     // rollouts also end at any of these strings (besides end-of-sequence)
        double temperature,
        double topP,
        int microBatch,        // sequences per forward/backward (gradient accumulation)
        boolean recompute,     // activation checkpointing: keep only each block's input, recompute in the backward
        int checkpointEvery,
        int maxBadSteps,       // consecutive steps with NaN/Inf (skipped) before the run stops
        double negReward,      // reward of a wrong (or unanswered) completion; a right one gets 1
        boolean boxedOnly,     // only the last \boxed{} is read as the answer (else also "The answer is", then the last number)
        long seed) implements Serializable {

    /** What is trained: the steering vectors only, or every weight. */
    public enum Params {
        VECTORS, FULL;

        @JsonValue
        public String json() {
            return EnumWords.of(this);
        }

        @JsonCreator
        public static Params parse(String s) {
            return EnumWords.parse(Params.class, s, "--params must be vectors or full, got '" + s + "'");
        }
    }

    /** How a group's rewards become advantages ({@link Advantages}). */
    public enum Algo {
        RLOO, GRPO;

        @JsonValue
        public String json() {
            return EnumWords.of(this);
        }

        @JsonCreator
        public static Algo parse(String s) {
            return EnumWords.parse(Algo.class, s, "--algo must be grpo or rloo, got '" + s + "'");
        }
    }

    /**
     * How the per-token policy-gradient loss is aggregated. TOKEN: summed over all tokens, divided by the step's
     * generated tokens; SEQUENCE: a mean per sequence, then over sequences; DRGRPO: summed, divided by
     * max_new_tokens x sequences (Dr. GRPO's constant).
     */
    public enum LossAgg {
        TOKEN, SEQUENCE, DRGRPO;

        /** What the summed loss (and gradient) of a step is divided by. */
        public double normalizer(long completionTokens, long sequences, int maxNewTokens) {
            return switch (this) {
                case TOKEN -> completionTokens;
                case SEQUENCE -> sequences;
                case DRGRPO -> (double) maxNewTokens * sequences;
            };
        }

        /** The weight of each token of a completion of {@code length} tokens in the summed loss. */
        public float tokenWeight(int length) {
            return this == SEQUENCE ? 1f / Math.max(1, length) : 1f;
        }

        @JsonValue
        public String json() {
            return EnumWords.of(this);
        }

        @JsonCreator
        public static LossAgg parse(String s) {
            return EnumWords.parse(LossAgg.class, s, "--loss-agg must be token, sequence or drgrpo, got '" + s + "'");
        }
    }

    public RlConfig {
        if (params == null || algo == null || lossAgg == null || schedule == null) throw new UserError("params, algo, lossAgg and schedule must be given");
        if (group < 2) throw new UserError("--group must be >= 2 (advantages compare samples of one prompt), got " + group);
        if (promptsPerStep < 1 || steps < 0 || innerEpochs < 1 || maxNewTokens < 1 || microBatch < 1 || checkpointEvery < 1 || maxBadSteps < 1) {
            throw new UserError("--prompts-per-step, --inner-epochs, --max-new-tokens, --micro-batch, --checkpoint-every and --max-bad-steps must be >= 1 and --steps >= 0");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (!(lr > 0)) throw new UserError("--lr must be > 0, got " + lr);
        if (!(temperature >= 0)) throw new UserError("--temperature must be >= 0, got " + temperature);
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new UserError("--warmup-ratio must be in [0, 1], got " + warmupRatio);
        if (!(negReward < 1) || !Double.isFinite(negReward)) throw new UserError("--neg-reward must be a finite number below 1 (a right answer gets 1), got " + negReward);
    }

    /** The paper's recipe for the given parameter set. */
    public static RlConfig paper(Params params) {
        boolean full = params == Params.FULL;
        return new RlConfig(params, null, Algo.RLOO, false, LossAgg.TOKEN, 16, 16, 100, 1, 0.2,
                full ? 1e-6 : 1e-3, 0.9, 0.999, 1e-8, 0.0, 2.0, 0, 0.03, LrSchedule.Kind.CONSTANT, 0.0,
                512, List.of(), 1.0, 1.0, 16, false, 10, 3, -1.0, true, 0);
    }

    /** Warm-up steps of the schedule: {@code warmupSteps}, or {@code ceil(warmupRatio x steps)} when larger. */
    public int effectiveWarmupSteps() {
        return Math.max(warmupSteps, (int) Math.ceil(warmupRatio * steps - 1e-9));
    }

    public boolean full() {
        return params == Params.FULL;
    }

    public String toJson() {
        return Json.writePretty(this);
    }

    public static RlConfig fromJson(Path file) {
        try {
            return Json.MAPPER.treeToValue(Json.read(file), RlConfig.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw UserError.inFile(file, "not an RL config: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A copy with some fields changed: {@code cfg.toBuilder().steps(5).lr(0.1).build()} (checked by the constructor). */
    public static final class Builder {
        private Params params;
        private int[] layers;
        private Algo algo;
        private boolean scaleByStd;
        private LossAgg lossAgg;
        private int group;
        private int promptsPerStep;
        private int steps;
        private int innerEpochs;
        private double clipEps;
        private double lr;
        private double beta1;
        private double beta2;
        private double adamEps;
        private double weightDecay;
        private double maxGradNorm;
        private int warmupSteps;
        private double warmupRatio;
        private LrSchedule.Kind schedule;
        private double klBeta;
        private int maxNewTokens;
        private List<String> stop;
        private double temperature;
        private double topP;
        private int microBatch;
        private boolean recompute;
        private int checkpointEvery;
        private int maxBadSteps;
        private double negReward;
        private boolean boxedOnly;
        private long seed;

        private Builder(RlConfig c) {
            params = c.params;
            layers = c.layers;
            algo = c.algo;
            scaleByStd = c.scaleByStd;
            lossAgg = c.lossAgg;
            group = c.group;
            promptsPerStep = c.promptsPerStep;
            steps = c.steps;
            innerEpochs = c.innerEpochs;
            clipEps = c.clipEps;
            lr = c.lr;
            beta1 = c.beta1;
            beta2 = c.beta2;
            adamEps = c.adamEps;
            weightDecay = c.weightDecay;
            maxGradNorm = c.maxGradNorm;
            warmupSteps = c.warmupSteps;
            warmupRatio = c.warmupRatio;
            schedule = c.schedule;
            klBeta = c.klBeta;
            maxNewTokens = c.maxNewTokens;
            stop = c.stop;
            temperature = c.temperature;
            topP = c.topP;
            microBatch = c.microBatch;
            recompute = c.recompute;
            checkpointEvery = c.checkpointEvery;
            maxBadSteps = c.maxBadSteps;
            negReward = c.negReward;
            boxedOnly = c.boxedOnly;
            seed = c.seed;
        }

        public Builder params(Params v) {
            this.params = v;
            return this;
        }

        public Builder layers(int[] v) {
            this.layers = v;
            return this;
        }

        public Builder algo(Algo v) {
            this.algo = v;
            return this;
        }

        public Builder scaleByStd(boolean v) {
            this.scaleByStd = v;
            return this;
        }

        public Builder lossAgg(LossAgg v) {
            this.lossAgg = v;
            return this;
        }

        public Builder group(int v) {
            this.group = v;
            return this;
        }

        public Builder promptsPerStep(int v) {
            this.promptsPerStep = v;
            return this;
        }

        public Builder steps(int v) {
            this.steps = v;
            return this;
        }

        public Builder innerEpochs(int v) {
            this.innerEpochs = v;
            return this;
        }

        public Builder clipEps(double v) {
            this.clipEps = v;
            return this;
        }

        public Builder lr(double v) {
            this.lr = v;
            return this;
        }

        public Builder beta1(double v) {
            this.beta1 = v;
            return this;
        }

        public Builder beta2(double v) {
            this.beta2 = v;
            return this;
        }

        public Builder adamEps(double v) {
            this.adamEps = v;
            return this;
        }

        public Builder weightDecay(double v) {
            this.weightDecay = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            this.maxGradNorm = v;
            return this;
        }

        public Builder warmupSteps(int v) {
            this.warmupSteps = v;
            return this;
        }

        public Builder warmupRatio(double v) {
            this.warmupRatio = v;
            return this;
        }

        public Builder schedule(LrSchedule.Kind v) {
            this.schedule = v;
            return this;
        }

        public Builder klBeta(double v) {
            this.klBeta = v;
            return this;
        }

        public Builder maxNewTokens(int v) {
            this.maxNewTokens = v;
            return this;
        }

        public Builder stop(List<String> v) {
            this.stop = v;
            return this;
        }

        public Builder temperature(double v) {
            this.temperature = v;
            return this;
        }

        public Builder topP(double v) {
            this.topP = v;
            return this;
        }

        public Builder microBatch(int v) {
            this.microBatch = v;
            return this;
        }

        public Builder recompute(boolean v) {
            this.recompute = v;
            return this;
        }

        public Builder checkpointEvery(int v) {
            this.checkpointEvery = v;
            return this;
        }

        public Builder maxBadSteps(int v) {
            this.maxBadSteps = v;
            return this;
        }

        public Builder negReward(double v) {
            this.negReward = v;
            return this;
        }

        public Builder boxedOnly(boolean v) {
            this.boxedOnly = v;
            return this;
        }

        public Builder seed(long v) {
            this.seed = v;
            return this;
        }

        public RlConfig build() {
            return new RlConfig(params, layers, algo, scaleByStd, lossAgg, group, promptsPerStep, steps, innerEpochs, clipEps, lr, beta1, beta2, adamEps, weightDecay, maxGradNorm, warmupSteps, warmupRatio, schedule, klBeta, maxNewTokens, stop, temperature, topP, microBatch, recompute, checkpointEvery, maxBadSteps, negReward, boxedOnly, seed);
        }
    }
}
