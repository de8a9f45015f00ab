package steerscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.io.FileTrees;
import steerscope.io.IoErrors;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RunDirectory;
import steerscope.rl.StepMetrics;
import steerscope.rl.Trainer;
import steerscope.rl.optim.LrSchedule;
import steerscope.rl.reward.CompositeReward;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.rl.reward.FormatReward;
import steerscope.rl.reward.LengthPenalty;
import steerscope.rl.reward.Reward;
import steerscope.spark.ModelSpec;
import steerscope.spark.RewardFactory;
import steerscope.spark.SparkCommands;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

@Command(name = "train", description = "RL-train steering vectors (default) or every weight, with GRPO/RLOO on verifiable rewards.")
final class TrainCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Mixin(name = "data") DataOptions dataOptions;
    @Option(names = "--out", required = true, paramLabel = "RUN_DIR") Path out;
    @Option(names = "--preset", defaultValue = "paper", description = "Defaults to start from (paper: RLOO, 16x16, T=1, lr 1e-3 vectors / 1e-6 full, no KL/clip).") String preset;
    @Option(names = "--params", defaultValue = "vectors", description = "vectors | full") String params;
    @Option(names = "--layers", split = ",", description = "Layers that get a vector (default: all).") int[] layers;
    @Option(names = "--algo", description = "grpo | rloo") String algo;
    @Option(names = "--scale-by-std", description = "GRPO: divide advantages by the group's std.") Boolean scaleByStd;
    @Option(names = "--loss-agg", description = "token | sequence | drgrpo") String lossAgg;
    @Option(names = "--group", description = "Completions per prompt.") Integer group;
    @Option(names = "--prompts-per-step") Integer promptsPerStep;
    @Option(names = "--steps") Integer steps;
    @Option(names = "--inner-epochs") Integer innerEpochs;
    @Option(names = "--clip-eps") Double clipEps;
    @Option(names = "--lr") Double lr;
    @Option(names = "--weight-decay") Double weightDecay;
    @Option(names = "--max-grad-norm", description = "0 = none.") Double maxGradNorm;
    @Option(names = "--warmup", description = "Warm-up steps (replaces --warmup-ratio).") Integer warmup;
    @Option(names = "--warmup-ratio", description = "Warm-up as a share of --steps (paper: 0.03).") Double warmupRatio;
    @Option(names = "--neg-reward", description = "Reward of a wrong answer (paper: -1; 0 also common); a right one gets 1.") Double negReward;
    @Option(names = "--answer-fallback", description = "Also read \"The answer is\" and then the last number when there is no \\boxed{} (paper: last box only).") boolean answerFallback;
    @Option(names = "--schedule", description = "constant | cosine") String schedule;
    @Option(names = "--beta", description = "KL coefficient to the frozen base (k3).") Double beta;
    @Option(names = "--max-new-tokens", description = "Default: the preset's (512), or what the model's context leaves after the longest prompt.") Integer maxNewTokens;
    @Option(names = "--stop", description = "A rollout also ends at this string (repeatable).") List<String> stop;
    @Option(names = "--temperature") Double temperature;
    @Option(names = "--top-p") Double topP;
    @Option(names = "--micro-batch", description = "Sequences per forward/backward.") Integer microBatch;
    @Option(names = "--checkpoint-every") Integer checkpointEvery;
    @Option(names = "--recompute", description = "Activation checkpointing: recompute each block in the backward (less memory).") Boolean recompute;
    @Option(names = "--seed") Long seed;
    @Option(names = "--max-bad-steps", description = "Consecutive steps with NaN/Inf (each skipped) before the run stops.") Integer maxBadSteps;
    @Option(names = "--format-reward", defaultValue = "0", description = "Weight of a reward for one \\boxed{} at the end.") double formatReward;
    @Option(names = "--length-penalty", defaultValue = "0", description = "Penalty per token over --length-budget.") double lengthPenalty;
    @Option(names = "--length-budget", defaultValue = "0") int lengthBudget;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint.") boolean resume;
    @Option(names = "--overwrite", description = "Start over in --out: remove an earlier run there (its config, metrics, checkpoints, "
            + "vectors or model), or write into a directory that holds other files.") boolean overwrite;
    @Option(names = "--spark", paramLabel = "MASTER", description = "Run each step's rollouts and gradients on Spark (local[2], spark://host:7077, k8s://...); vectors only.") String spark;
    @Mixin SparkOptions sparkOptions;
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        RlConfig cfg = config();
        if (resume && overwrite) throw new UserError("--resume continues the run in --out and --overwrite starts it over: give one");
        if (spark != null) SparkCommands.refuseUnsupported(cfg, model);
        List<Problem> problems = dataOptions.load("train");
        try (ModelFiles m = ModelFiles.open(model)) {
            Prompts prompts = promptOptions.build(m);
            if (maxNewTokens == null) {
                int def = m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : cfg.maxNewTokens();
                cfg = cfg.toBuilder().maxNewTokens(PromptOptions.maxNewTokens(null, def,
                        m.model.config.maxPositionEmbeddings(), PromptOptions.longestPrompt(prompts, problems))).build();
            }
            // everything the model and the data can refuse is refused here, before --out is touched
            Generator.checkRoom(m.model.config, cfg.maxNewTokens());
            if (cfg.layers() != null) {
                for (int l : cfg.layers()) {
                    if (l < 0 || l >= m.model.config.nLayers()) {
                        throw new UserError("--layers: layer " + l + " does not exist; " + model + " has layers 0.." + (m.model.config.nLayers() - 1));
                    }
                }
            }
            checkRunDir(cfg);
            Policy policy;
            if (cfg.full()) {
                Model trainable = m.model.withWeights(m.model.weights.trainableCopy());
                policy = Policy.ofFullWeights(m.model, trainable, m.tokenizer, prompts);
            } else {
                policy = Policy.ofVectors(m.model, SteeringVectors.zeros(m.model.config.nLayers(), m.model.config.hiddenSize(), cfg.layers()),
                        m.tokenizer, prompts);
            }
            Reward[] rewards = rewards(cfg, formatReward, lengthPenalty, lengthBudget);
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("base_model", model.toAbsolutePath().normalize().toString());
            provenance.put("model_type", m.model.config.modelType());
            provenance.put("model_hash", ModelHash.of(m.model));
            Trainer trainer = new Trainer(cfg, policy, problems, rewards[0], rewards[1], out, provenance);
            Interrupts.onInterrupt(() -> RunDirectory.resumeHint(out));
            double fw = formatReward, lp = lengthPenalty;
            boolean boxedOnly = cfg.boxedOnly();
            double negReward = cfg.negReward();
            int lb = lengthBudget;
            List<StepMetrics> lines = spark == null ? trainer.run(resume) : SparkCommands.train(sparkOptions.target(spark), trainer, policy, cfg,
                    ModelSpec.of(model, promptOptions.template(m), promptOptions.system, promptOptions.noChat),
                    () -> { // built again on each executor
                        Reward[] r = rewards(boxedOnly, negReward, fw, lp, lb);
                        return new RewardFactory.Rewards(r[0], r[1]);
                    }, resume);
            if (!lines.isEmpty()) {
                var last = lines.get(lines.size() - 1);
                System.out.printf(Locale.ROOT, "done: %d steps, last reward %.3f, accuracy %.3f; run in %s%n", cfg.steps(),
                        last.rewardMean(), last.accuracy(), out);
            }
        }
        return 0;
    }

    /**
     * --out may be new, empty, or a run of this configuration (which the trainer resumes or refuses to redo);
     * a run of another configuration, or a directory of other files, only with --overwrite.
     */
    private void checkRunDir(RlConfig cfg) {
        Path cfgFile = out.resolve("config.json");
        boolean isRun = Files.isRegularFile(cfgFile) && Files.isRegularFile(out.resolve("metrics.jsonl"));
        if (overwrite && isRun) {
            try {
                for (String f : RunDirectory.FILES) FileTrees.delete(out.resolve(f));
            } catch (IOException e) {
                throw UserError.inFile(out, "cannot remove the earlier run: " + IoErrors.describe(e));
            }
            return;
        }
        if (!isRun) {
            OutputPath.checkDir(out, "train", dir -> false, overwrite);
            return;
        }
        String changed = firstDifference(Json.MAPPER.valueToTree(RlConfig.fromJson(cfgFile)), Json.MAPPER.valueToTree(cfg));
        if (changed != null) {
            throw UserError.inFile(out, "holds a run with another configuration (" + changed + "); choose a new --out, or pass --overwrite "
                    + "to start over");
        }
    }

    /** The first top-level field that differs, as "field: saved -> now", or null. */
    private static String firstDifference(JsonNode saved, JsonNode now) {
        var names = new TreeSet<String>();
        saved.fieldNames().forEachRemaining(names::add);
        now.fieldNames().forEachRemaining(names::add);
        for (String n : names) {
            if (!Objects.equals(saved.get(n), now.get(n))) return n + ": " + saved.get(n) + " -> " + now.get(n);
        }
        return null;
    }

    static Reward[] rewards(RlConfig cfg, double formatReward, double lengthPenalty, int lengthBudget) {
        return rewards(cfg.boxedOnly(), cfg.negReward(), formatReward, lengthPenalty, lengthBudget);
    }

    /** The optimised reward and the correctness reported as accuracy (right = reward above 0.5). */
    static Reward[] rewards(boolean boxedOnly, double negReward, double formatReward, double lengthPenalty, int lengthBudget) {
        Reward correctness = CorrectnessReward.of(boxedOnly, negReward);
        CompositeReward.Builder rb = CompositeReward.builder().name("reward").add(correctness, 1.0);
        if (formatReward != 0) rb.add(FormatReward.boxedAtEnd(), formatReward);
        if (lengthPenalty != 0) rb.add(new LengthPenalty(lengthBudget, lengthPenalty), 1.0);
        return new Reward[] {rb.build(), correctness};
    }

    RlConfig config() {
        if (!preset.equals("paper")) throw new UserError("--preset: unknown preset '" + preset + "' (known: paper)");
        RlConfig.Builder b = RlConfig.paper(RlConfig.Params.parse(params)).toBuilder();
        if (layers != null) b.layers(layers);
        if (algo != null) b.algo(RlConfig.Algo.parse(algo));
        if (scaleByStd != null) b.scaleByStd(scaleByStd);
        if (lossAgg != null) b.lossAgg(RlConfig.LossAgg.parse(lossAgg));
        if (group != null) b.group(group);
        if (promptsPerStep != null) b.promptsPerStep(promptsPerStep);
        if (steps != null) b.steps(steps);
        if (innerEpochs != null) b.innerEpochs(innerEpochs);
        if (clipEps != null) b.clipEps(clipEps);
        if (lr != null) b.lr(lr);
        if (weightDecay != null) b.weightDecay(weightDecay);
        if (maxGradNorm != null) b.maxGradNorm(maxGradNorm);
        if (warmup != null) b.warmupSteps(warmup).warmupRatio(0.0);
        if (warmupRatio != null) b.warmupRatio(warmupRatio);
        if (negReward != null) b.negReward(negReward);
        if (answerFallback) b.boxedOnly(false);
        if (schedule != null) b.schedule(LrSchedule.Kind.parse(schedule));
        if (beta != null) b.klBeta(beta);
        if (maxNewTokens != null) b.maxNewTokens(maxNewTokens);
        if (stop != null) b.stop(stop);
        if (temperature != null) b.temperature(temperature);
        if (topP != null) b.topP(topP);
        if (microBatch != null) b.microBatch(microBatch);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        if (recompute != null) b.recompute(recompute);
        if (seed != null) b.seed(seed);
        if (maxBadSteps != null) b.maxBadSteps(maxBadSteps);
        return b.build();
    }
}
