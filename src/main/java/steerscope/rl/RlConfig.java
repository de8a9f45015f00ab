package steerscope.rl;

import java.util.Map;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * Everything that fixes an RL run; saved as the run directory's config.json, so a run can be reproduced and
 * resumed. {@link #paper} gives the recipe of "Small Vectors, Big Effects" as its public code runs it: RLOO
 * (leave-one-out baseline, no std division, no clipping, no KL), 16 samples x 16 prompts, temperature 1, the
 * policy-gradient loss summed over tokens and divided by the step's generated tokens, reward +1 / -1 on the
 * last {@code \boxed{}} only, AdamW at 1e-3 for vectors (1e-6 for full fine-tuning), constant learning rate
 * after a warm-up of 3% of the steps, gradient norm clipped at 2.
 */
public record RlConfig(
        String params,        // "vectors" (the steering vectors only) or "full" (every weight)
        int[] layers,         // layers that get a vector; null = all
        String algo,          // "rloo" or "grpo"
        boolean scaleByStd,   // GRPO's division of the advantage by the group's std
        String lossAgg,       // "token" (mean over all tokens), "sequence" (mean per sequence, then mean), "drgrpo" (sum / (max_new_tokens x sequences))
        int group,            // completions per prompt
        int promptsPerStep,
        int steps,
        int innerEpochs,      // > 1 reuses a batch with PPO-style clipping
        double clipEps,
        double lr,
        double beta1,
        double beta2,
        double adamEps,
        double weightDecay,
        double maxGradNorm,   // 0 = no clipping of the gradient norm
        int warmupSteps,
        double warmupRatio,   // warm-up of ceil(warmupRatio x steps) steps, when that is more than warmupSteps (HF's warmup_ratio)
        String schedule,      // "constant" or "cosine"
        double klBeta,        // coefficient of the k3 KL to the frozen base; 0 = none
        int maxNewTokens,
        java.util.List<String> stop, // rollouts also end at any of these strings (besides end-of-sequence)
        double temperature,
        double topP,
        int microBatch,       // sequences per forward/backward (gradient accumulation)
        boolean recompute,    // activation checkpointing: keep only each block's input, recompute in the backward
        int checkpointEvery,
        int maxBadSteps,      // consecutive steps with NaN/Inf (skipped) before the run stops
        double negReward,     // reward of a wrong (or unanswered) completion; a right one gets 1
        boolean boxedOnly,    // only the last \boxed{} is read as the answer (else also "The answer is", then the last number)
        long seed) {

    public RlConfig {
        if (!params.equals("vectors") && !params.equals("full")) throw new UserError("--params must be vectors or full, got '" + params + "'");
        if (!algo.equals("rloo") && !algo.equals("grpo")) throw new UserError("--algo must be grpo or rloo, got '" + algo + "'");
        if (!lossAgg.equals("token") && !lossAgg.equals("sequence") && !lossAgg.equals("drgrpo")) {
            throw new UserError("--loss-agg must be token, sequence or drgrpo, got '" + lossAgg + "'");
        }
        if (group < 2) throw new UserError("--group must be >= 2 (advantages compare samples of one prompt), got " + group);
        if (promptsPerStep < 1 || steps < 0 || innerEpochs < 1 || maxNewTokens < 1 || microBatch < 1 || checkpointEvery < 1 || maxBadSteps < 1) {
            throw new UserError("--prompts-per-step, --inner-epochs, --max-new-tokens, --micro-batch, --checkpoint-every and --max-bad-steps must be >= 1 and --steps >= 0");
        }
        stop = stop == null ? java.util.List.of() : java.util.List.copyOf(stop);
        if (!(lr > 0)) throw new UserError("--lr must be > 0, got " + lr);
        if (!(temperature >= 0)) throw new UserError("--temperature must be >= 0, got " + temperature);
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new UserError("--warmup-ratio must be in [0, 1], got " + warmupRatio);
        if (!(negReward < 1) || !Double.isFinite(negReward)) throw new UserError("--neg-reward must be a finite number below 1 (a right answer gets 1), got " + negReward);
    }

    /** The paper's recipe for the given parameter set. */
    public static RlConfig paper(String params) {
        boolean full = params.equals("full");
        return new RlConfig(params, null, "rloo", false, "token", 16, 16, 100, 1, 0.2,
                full ? 1e-6 : 1e-3, 0.9, 0.999, 1e-8, 0.0, 2.0, 0, 0.03, "constant", 0.0,
                512, java.util.List.of(), 1.0, 1.0, 16, false, 10, 3, -1.0, true, 0);
    }

    /** Warm-up steps of the schedule: {@code warmupSteps}, or {@code ceil(warmupRatio x steps)} when larger. */
    public int effectiveWarmupSteps() {
        return Math.max(warmupSteps, (int) Math.ceil(warmupRatio * steps - 1e-9));
    }

    public boolean full() {
        return params.equals("full");
    }

    public int sequencesPerStep() {
        return group * promptsPerStep;
    }

    public String toJson() {
        return Json.writePretty(this);
    }

    public static RlConfig fromJson(java.nio.file.Path file) {
        try {
            return Json.MAPPER.treeToValue(Json.read(file), RlConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw UserError.inFile(file, "not an RL config: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A copy with some fields replaced, by JSON field name (used by presets and flags). */
    public RlConfig with(Map<String, Object> changes) {
        var tree = Json.MAPPER.valueToTree(this);
        changes.forEach((k, v) -> ((com.fasterxml.jackson.databind.node.ObjectNode) tree).set(k, Json.MAPPER.valueToTree(v)));
        try {
            return Json.MAPPER.treeToValue(tree, RlConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
