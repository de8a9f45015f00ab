package steerscope.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.Json;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.Trainer;
import steerscope.rl.reward.Reward;
import steerscope.steer.VectorFiles;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;

/**
 * Single-layer steering vectors, the paper's unit of analysis: one RL run that trains a vector on one layer
 * alone (the recipe's {@code layers} = [l]), and the per-layer sweep (one such run per layer, each vector's
 * sampled accuracy with its 95% interval: the paper's Figure 1), written as {@code single_layer.json}.
 * Runs live in {@code runsDir/layer-l/}; a finished run (its vectors file and the same config) is read back
 * instead of retrained, and an interrupted one resumes from its last checkpoint.
 */
public final class SingleLayer {
    /** What the sweep needs besides the model: training and test problems, the RL recipe, the reward, the evaluation. */
    public record Setup(Model model, Tokenizer tokenizer, Prompts prompts, List<Problem> train, List<Problem> test, RlConfig recipe,
                        Reward reward, Sampled.Options eval) {}

    /** One layer's run: its vector (on that layer only) and sampled accuracy {mean, lo, hi}. */
    public record Run(int layer, SteeringVectors vectors, double[] accuracy, Path runDir) {}

    private SingleLayer() {}

    /** The recipe restricted to one layer. */
    public static RlConfig config(RlConfig recipe, int layer) {
        return recipe.toBuilder().params(RlConfig.Params.VECTORS).layers(new int[] {layer}).build();
    }

    /** Trains (or reads back, or resumes) the vector of one layer alone in runDir. */
    public static SteeringVectors train(Setup s, int layer, Path runDir) {
        RlConfig cfg = config(s.recipe(), layer);
        Path done = runDir.resolve("vectors.safetensors"), cfgFile = runDir.resolve("config.json");
        if (Files.isRegularFile(done) && Files.isRegularFile(cfgFile) && Json.write(RlConfig.fromJson(cfgFile)).equals(Json.write(cfg))) {
            return VectorFiles.read(done, s.model().config.nLayers(), s.model().config.hiddenSize());
        }
        int L = s.model().config.nLayers(), d = s.model().config.hiddenSize();
        Policy policy = Policy.ofVectors(s.model(), SteeringVectors.zeros(L, d, new int[] {layer}), s.tokenizer(), s.prompts());
        new Trainer(cfg, policy, s.train(), s.reward(), s.reward(), runDir, Map.of("experiment", "single-layer " + layer)).run(true);
        return policy.vectors;
    }

    /**
     * One run per layer in {@code layers}, each evaluated on the test problems; the base model too. Writes
     * {@code outDir/single_layer.json} and returns the runs in the order of {@code layers}. Resumable: a run
     * resumes from its checkpoint ({@link #train}), and each evaluation is a stage ({@link StageFiles}) kept in
     * {@code runsDir} ({@code base.json}, {@code layer-l/evaluation.json}) and read back when its inputs match.
     */
    public static List<Run> sweep(Setup s, int[] layers, Path runsDir, Path outDir) {
        List<int[]> prompts = new ArrayList<>();
        List<String> qa = new ArrayList<>();
        for (Problem p : s.test()) {
            prompts.add(s.prompts().encode(p));
            qa.add(p.question() + "\u0000" + p.answer());
        }
        String model = StageFiles.modelKey(s.model()), eval = Json.write(s.eval());
        long t0 = System.nanoTime();
        Sampled.Result base = new StageFiles(runsDir, StageFiles.key("single-layer base v1", model, qa, prompts, eval))
                .sampled("base.json", () -> Sampled.run(s.model(), s.tokenizer(), s.test(), prompts, null, null, s.eval()));
        List<Run> runs = new ArrayList<>();
        List<Object> rows = new ArrayList<>();
        Progress progress = new Progress("single-layer sweep", layers.length, 0);
        for (int l : layers) {
            Path dir = runsDir.resolve("layer-" + l);
            SteeringVectors v = train(s, l, dir);
            StageFiles stage = new StageFiles(dir, StageFiles.key("single-layer evaluation v1", model, qa, prompts, eval, v));
            Map<String, Object> e = stage.get("evaluation.json", () -> {
                long t = System.nanoTime();
                Sampled.Result r = Sampled.run(s.model(), s.tokenizer(), s.test(), prompts, Steering.of(v), null, s.eval());
                return Out.map("result", r, "seconds", (System.nanoTime() - t) / 1e9);
            });
            Sampled.Result r = e.get("result") instanceof Sampled.Result x ? x : Json.MAPPER.convertValue(e.get("result"), Sampled.Result.class);
            runs.add(new Run(l, v, r.accuracy(), dir));
            rows.add(Out.map("layer", l, "accuracy", Out.num(r.accuracy()[0]), "ci", List.of(Out.num(r.accuracy()[1]), Out.num(r.accuracy()[2])),
                    "gain_over_base", Out.interval(Bootstrap.meanDiff(r.perProblem(), base.perProblem(), s.eval().seed())),
                    "vector_norm", norm(v.get(l)), "run_dir", dir.toString(),
                    "train_seconds", Out.num(trainSeconds(dir)), "eval_seconds", ((Number) e.get("seconds")).doubleValue()));
            progress.update(runs.size(), String.format(Locale.ROOT, "layer %d acc %.3f", l, r.accuracy()[0]));
        }
        Out.write(outDir, "single_layer.json", Out.map(
                "recipe", Json.MAPPER.valueToTree(s.recipe()), "k", s.eval().k(), "temperature", 1.0, "n_problems", s.test().size(),
                "base", base.json(), "layers", rows, "seconds", (System.nanoTime() - t0) / 1e9));
        return runs;
    }

    /** The run's training time: the sum of its steps' step_seconds in metrics.jsonl (whole across resumes). */
    private static double trainSeconds(Path runDir) {
        double sum = 0;
        try {
            for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
                if (!line.isBlank()) sum += Json.MAPPER.readTree(line).path("step_seconds").asDouble(0);
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return sum;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }
}
