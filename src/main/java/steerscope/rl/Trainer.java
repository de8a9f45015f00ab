package steerscope.rl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.io.AtomicFiles;
import steerscope.io.FileTrees;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.Gradients;
import steerscope.model.ModelWeights;
import steerscope.rl.optim.AdamW;
import steerscope.rl.optim.GradClip;
import steerscope.rl.optim.LrSchedule;
import steerscope.rl.reward.Reward;
import steerscope.steer.AdaptiveScale;
import steerscope.steer.VectorFiles;
import steerscope.task.Problem;
import steerscope.tensor.DType;
import steerscope.tensor.Mat;
import steerscope.util.Progress;
import steerscope.util.UserError;

/**
 * The RL loop on one machine: each step takes the next prompts, computes rollouts and the gradient
 * ({@link RolloutStep}, the pure part), clips, takes an AdamW step, appends a metrics line, and every
 * K steps writes a checkpoint. Everything random derives from (seed, step), so {@code --resume} after a kill
 * continues to the same result as an uninterrupted run.
 *
 * <p>Run directory: {@code config.json}, {@code metrics.jsonl}, {@code checkpoints/step-NNNNNN/} (each file
 * written atomically, the directory renamed into place) with {@code checkpoints/latest} naming the newest,
 * and at the end {@code vectors.safetensors} (vectors) or {@code model/} (full fine-tune, HF format).
 */
public final class Trainer {
    /** Everything a run writes in its directory (train --overwrite removes exactly these). */
    public static final List<String> RUN_FILES = List.of("config.json", "metrics.jsonl", "checkpoints", "bad-steps", "vectors.safetensors",
            AdaptiveScale.FILE, "model");

    /** Computes one step's contribution; a Spark driver swaps in its distributed version. */
    @FunctionalInterface
    public interface StepFunction {
        RolloutStep.Contribution compute(List<RolloutStep.Item> items, long stepSeed);
    }

    private final RlConfig cfg;
    private final Policy policy;
    private final List<Problem> data;
    private final RolloutStep rollout;
    private final Path runDir;
    private final Map<String, String> provenance;
    private final List<AdamW.Param> params = new ArrayList<>();
    private final Gradients grads;
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
        this.runDir = runDir;
        this.provenance = provenance;
        this.grads = new Gradients(policy.model.config, policy.full());
        if (policy.full()) {
            Map<String, float[]> weights = policy.model.weights.arraysByName();
            grads.forEachWeight((n, g) -> params.add(new AdamW.Param(n, weights.get(n), g, n.endsWith("_proj.weight") || n.contains("embed") || n.equals("lm_head.weight"))));
        } else {
            for (int l : policy.vectors.layers()) params.add(new AdamW.Param("layers." + l, policy.vectors.get(l), grads.vectors[l], true));
            if (policy.adaptive != null) { // a_l of each vector's layer (decays towards the plain vector), and every b_l in one array
                for (int l : policy.vectors.layers()) params.add(new AdamW.Param("scale_a." + l, policy.adaptive.a[l], grads.scaleA[l], true));
                params.add(new AdamW.Param("scale_b", policy.adaptive.b, grads.scaleB, false));
            }
        }
        this.adam = new AdamW(params, cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.adamEps(), cfg.weightDecay());
        this.schedule = LrSchedule.parse(cfg.schedule(), cfg.lr(), cfg.effectiveWarmupSteps(), Math.max(1, cfg.steps()), 0.0);
        this.stepFunction = (items, seed) -> {
            RolloutStep.Rollouts r = rollout.sample(policy, items, seed);
            return rollout.gradient(policy, r, null);
        };
    }

    /** For tests: throw right after step {@code step} completes (metrics appended, maybe no checkpoint), like a kill. */
    void crashAfter(int step) {
        this.crashAfterStep = step;
    }

    public void setStepFunction(StepFunction f) {
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
    public List<Map<String, Object>> run(boolean resume) {
        int start = prepare(resume);
        Progress progress = new Progress("train " + cfg.params(), cfg.steps(), start);
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int step = start; step < cfg.steps(); step++) {
            Map<String, Object> m = step(step);
            lines.add(m);
            appendMetrics(m);
            boolean last = step + 1 == cfg.steps();
            if ((step + 1) % cfg.checkpointEvery() == 0 || last) checkpoint(step + 1);
            if (step == crashAfterStep) throw new IllegalStateException("simulated crash after step " + step);
            progress.update(step + 1, m.containsKey("skipped") ? "skipped: " + m.get("skipped") : String.format(Locale.ROOT, "reward %.3f acc %.3f len %.1f",
                    (double) m.get("reward_mean"), (double) m.get("accuracy"), (double) m.get("response_length")));
        }
        steerscope.util.Interrupts.critical(this::writeFinal);
        return lines;
    }

    private int badInARow = 0;

    /** A step whose numbers went non-finite: skipped, reported, and its prompts saved for debugging. */
    static final class NonFiniteStep extends RuntimeException {
        NonFiniteStep(String what) {
            super(what);
        }
    }

    private Map<String, Object> step(int step) {
        long t0 = System.nanoTime();
        List<RolloutStep.Item> items = itemsOf(step);
        long seed = stepSeed(cfg.seed(), step);
        RolloutStep.Contribution c;
        double gradNorm;
        double lr = schedule.lr(step);
        try {
            RolloutStep.Rollouts rollouts = null;
            if (cfg.innerEpochs() > 1) { // keep the rollouts: later epochs reuse them with the clipped ratio
                rollouts = rollout.sample(policy, items, seed);
                c = rollout.gradient(policy, rollouts, null);
            } else {
                c = stepFunction.compute(items, seed);
            }
            checkFinite(c);
            gradNorm = applyGradient(c, lr);
            for (int epoch = 1; epoch < cfg.innerEpochs(); epoch++) {
                RolloutStep.Contribution ce = rollout.gradient(policy, rollouts, c.newLogprobs);
                checkFinite(ce);
                applyGradient(ce, lr);
            }
            badInARow = 0;
        } catch (NonFiniteStep | steerscope.model.Sampler.NonFiniteLogits e) {
            badInARow++;
            Path dump = saveBadBatch(step, items, e.getMessage());
            System.err.println("step " + step + " skipped: " + e.getMessage() + " (prompts saved to " + dump + ")");
            if (badInARow >= cfg.maxBadSteps()) {
                throw new UserError("stopping: " + badInARow + " steps in a row had non-finite values (last: " + e.getMessage()
                        + "); the vectors were not updated by them, the last good checkpoint is in " + runDir.resolve("checkpoints"));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("skipped", e.getMessage());
            m.put("reward_mean", Double.NaN);
            m.put("accuracy", Double.NaN);
            m.put("response_length", Double.NaN);
            return m;
        }
        double secs = (System.nanoTime() - t0) / 1e9;

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("reward_mean", c.rewardSum / c.sequences);
        m.put("accuracy", (double) c.correct / c.sequences);
        m.put("advantage_abs_mean", c.advantageAbsSum / c.sequences);
        m.put("zero_advantage_groups", c.zeroAdvantageGroups);
        m.put("groups", c.groups);
        m.put("kl", c.completionTokens > 0 ? c.klSum / c.completionTokens : 0.0);
        m.put("loss", c.lossSum / Math.max(c.normalizer, 1e-12));
        m.put("response_length", (double) c.completionTokens / c.sequences);
        m.put("grad_norm", gradNorm);
        m.put("lr", lr);
        if (!policy.full()) {
            Map<String, Double> norms = new LinkedHashMap<>();
            for (int l : policy.vectors.layers()) norms.put(String.valueOf(l), policy.vectors.norm(l));
            m.put("vector_norms", norms);
        }
        m.put("activation_mb", c.activationBytes / 1e6);
        m.put("tokens_per_s", c.completionTokens / secs);
        m.put("step_seconds", secs);
        return m;
    }

    private static void checkFinite(RolloutStep.Contribution c) {
        if (!Double.isFinite(c.rewardSum)) throw new NonFiniteStep("non-finite reward");
        if (!Double.isFinite(c.advantageAbsSum)) throw new NonFiniteStep("non-finite advantage");
        if (!Double.isFinite(c.lossSum)) throw new NonFiniteStep("non-finite loss (log-probabilities or logits)");
    }

    /** Normalises, checks, clips and applies one gradient; returns its global norm before clipping. */
    private double applyGradient(RolloutStep.Contribution c, double lr) {
        double norm = Math.max(c.normalizer, 1e-12);
        List<float[]> gradArrays = new ArrayList<>();
        for (AdamW.Param p : params) gradArrays.add(p.grad());
        grads.copyFrom(c.grads);
        for (float[] g : gradArrays) {
            for (int i = 0; i < g.length; i++) g[i] /= (float) norm;
        }
        if (!GradClip.allFinite(gradArrays)) throw new NonFiniteStep("non-finite gradient");
        double gradNorm = cfg.maxGradNorm() > 0 ? GradClip.clipByGlobalNorm(gradArrays, cfg.maxGradNorm()) : GradClip.globalNorm(gradArrays);
        adam.step(lr);
        return gradNorm;
    }

    private Path saveBadBatch(int step, List<RolloutStep.Item> items, String reason) {
        Path file = runDir.resolve("bad-steps").resolve(String.format(Locale.ROOT, "step-%06d.json", step));
        List<Map<String, Object>> prompts = new ArrayList<>();
        for (RolloutStep.Item it : items) {
            prompts.add(Map.of("index", it.index(), "id", it.problem().id(), "question", it.problem().question(), "answer", it.problem().answer()));
        }
        AtomicFiles.writeString(file, Json.writePretty(Map.of("step", step, "reason", reason, "seed", stepSeed(cfg.seed(), step), "prompts", prompts)));
        return file;
    }

    // ---------------------------------------------------------------------------------------- run directory

    private int prepare(boolean resume) {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw UserError.inFile(runDir, "cannot create the run directory: " + steerscope.io.IoErrors.describe(e));
        }
        Path cfgFile = runDir.resolve("config.json");
        Path latest = runDir.resolve("checkpoints").resolve("latest");
        if (resume && Files.isRegularFile(latest)) {
            RlConfig saved = RlConfig.fromJson(cfgFile);
            if (!Json.write(saved).equals(Json.write(cfg))) {
                throw UserError.inFile(cfgFile, "--resume with a different configuration than the run was started with");
            }
            return restore(latest);
        }
        if (!resume && Files.exists(latest)) {
            throw UserError.inFile(runDir, "holds a previous run; pass --resume to continue it or choose another --out");
        }
        AtomicFiles.writeString(cfgFile, cfg.toJson());
        AtomicFiles.writeString(runDir.resolve("metrics.jsonl"), "");
        return 0;
    }

    private void appendMetrics(Map<String, Object> m) {
        try {
            Files.writeString(runDir.resolve("metrics.jsonl"), Json.write(m) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw UserError.inFile(runDir.resolve("metrics.jsonl"), "cannot append: " + steerscope.io.IoErrors.describe(e));
        }
    }

    /**
     * Writes step-N as a temp directory renamed into place, then points checkpoints/latest at it. When the disk
     * is full or read-only the temp directory is removed and the error says which checkpoint is still good.
     */
    private void checkpoint(int nextStep) {
        steerscope.util.Interrupts.critical(() -> writeCheckpoint(nextStep)); // Ctrl-C waits for it: no temp directory left
    }

    private void writeCheckpoint(int nextStep) {
        Path dir = runDir.resolve("checkpoints");
        String name = String.format(Locale.ROOT, "step-%06d", nextStep);
        Path tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.createDirectories(dir);
            FileTrees.delete(tmp);
            Files.createDirectories(tmp);
            writeParams(tmp.resolve("params.safetensors"));
            adam.save(tmp.resolve("optimizer.safetensors"));
            AtomicFiles.writeString(tmp.resolve("state.json"), Json.write(Map.of("next_step", nextStep)));
            // metrics up to this step, so a resume can cut metrics.jsonl back to what the checkpoint holds
            AtomicFiles.writeBytes(tmp.resolve("metrics.jsonl"), Files.readAllBytes(runDir.resolve("metrics.jsonl")));
            Path target = dir.resolve(name);
            FileTrees.delete(target);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(dir); // step-N is on disk before latest names it
            AtomicFiles.writeString(dir.resolve("latest"), name + "\n");
            try (var old = Files.list(dir)) { // keep the newest two
                List<Path> steps = old.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().toList();
                for (int i = 0; i < steps.size() - 2; i++) FileTrees.delete(steps.get(i));
            }
        } catch (IOException | UserError e) {
            try {
                FileTrees.delete(tmp); // a full disk needs the space back; the directory was never a checkpoint
            } catch (IOException ignored) {
                // read-only: nothing was written to remove
            }
            String why = e instanceof UserError ? e.getMessage() : steerscope.io.IoErrors.describe(e);
            throw UserError.inFile(dir, "cannot write checkpoint " + name + " (" + why + "); the last good checkpoint is "
                    + lastCheckpoint(dir));
        }
    }

    private static String lastCheckpoint(Path dir) {
        try {
            return dir.resolve(Files.readString(dir.resolve("latest")).trim()).toString();
        } catch (IOException e) {
            return "none";
        }
    }

    private int restore(Path latest) {
        try {
            Path dir = latest.getParent().resolve(Files.readString(latest).trim());
            JsonNode state = Json.read(dir.resolve("state.json"));
            int next = state.get("next_step").asInt();
            readParams(dir.resolve("params.safetensors"));
            adam.load(dir.resolve("optimizer.safetensors"));
            AtomicFiles.writeBytes(runDir.resolve("metrics.jsonl"), Files.readAllBytes(dir.resolve("metrics.jsonl")));
            System.err.println("resuming " + runDir + " at step " + next);
            return next;
        } catch (IOException e) {
            throw UserError.inFile(latest, "cannot resume: " + steerscope.io.IoErrors.describe(e));
        }
    }

    private void writeParams(Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (AdamW.Param p : params) w.add(p.name(), new long[] {p.value().length}, p.value());
        w.write(file);
    }

    private void readParams(Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            for (AdamW.Param p : params) {
                float[] v = st.floats(p.name());
                if (v.length != p.value().length) throw UserError.inFile(file, "tensor '" + p.name() + "' has the wrong size");
                System.arraycopy(v, 0, p.value(), 0, v.length);
            }
        }
    }

    private void writeFinal() {
        if (!policy.full()) {
            policy.vectors.metadata().putAll(provenance);
            policy.vectors.metadata().put("training_config", cfg.toJson());
            VectorFiles.write(policy.vectors, runDir.resolve("vectors.safetensors"));
            if (policy.adaptive != null) policy.adaptive.write(runDir.resolve(AdaptiveScale.FILE));
        } else { // like a checkpoint: a temp directory renamed into place, so model/ is never half written
            Path tmp = runDir.resolve(".model.tmp"), target = runDir.resolve("model");
            try {
                FileTrees.delete(tmp); // left by a kill during an earlier final save
                saveModel(policy, tmp);
                FileTrees.delete(target);
                Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.syncDirectory(runDir);
            } catch (IOException e) {
                throw UserError.inFile(target, "cannot save the model: " + e.getMessage());
            }
        }
    }

    /** Saves the policy's (F32) weights as a Hugging Face checkpoint directory, with the base's tokenizer files. */
    public static void saveModel(Policy policy, Path out) {
        try {
            Files.createDirectories(out);
            SafeTensorsWriter w = new SafeTensorsWriter();
            ModelWeights weights = policy.model.weights;
            weights.forEachMat((n, m) -> w.add(n, DType.F32, new long[] {m.rows, m.cols}, floats(m)));
            weights.forEachVec((n, v) -> w.add(n, DType.F32, new long[] {v.length}, v));
            w.metadata("format", "pt");
            w.write(out.resolve("model.safetensors"));
            Map<String, Object> config = new LinkedHashMap<>(policy.model.config.toJson());
            config.put("torch_dtype", "float32");
            AtomicFiles.writeString(out.resolve("config.json"), Json.writePretty(config));
            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
                Path src = policy.base.dir.resolve(f);
                if (Files.isRegularFile(src)) AtomicFiles.writeBytes(out.resolve(f), Files.readAllBytes(src));
            }
        } catch (IOException e) {
            throw UserError.inFile(out, "cannot save the model: " + steerscope.io.IoErrors.describe(e));
        }
    }

    private static float[] floats(Mat m) {
        return m.array() != null ? m.array() : m.toF32Copy().array();
    }
}
