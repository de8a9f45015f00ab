package steerscope.analysis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.io.Json;
import steerscope.model.AdaptiveScale;
import steerscope.model.HookNames;
import steerscope.model.Hooks;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.Trainer;
import steerscope.rl.reward.Reward;
import steerscope.steer.VectorFiles;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;

/**
 * Experiment adaptive ({@code adaptive.json}): the paper's adaptive variant, each layer's vector added as
 * s_l(h)·v_l with a trainable token-wise scale s_l(h) = a_l·h + b_l ({@link AdaptiveScale}), against plain vectors
 * trained with the same recipe, prompts and seeds from the same start (given vectors or zero; a = 0, b = 1, so the
 * adaptive run starts as the plain one). Reports both sampled accuracies and their paired difference, and where
 * the trained scale concentrates: its mean per layer over the prompt's tokens and the generated ones, and by token
 * category ({@link TokenCategories}), read on the adaptive run's own sampled completions, teacher-forced.
 * Runs live in {@code out/runs/plain} and {@code out/runs/adaptive}; a finished run is read back, an
 * interrupted one resumes.
 */
public final class Adaptive {
    /** What the experiment needs: the model, the data, the recipe (params vectors), the start, the evaluation. */
    public record Setup(Model model, Tokenizer tokenizer, Prompts prompts, List<Problem> train, List<Problem> test, RlConfig recipe,
                        Reward reward, SteeringVectors start, Sampled.Options eval, int scaleSamples) {}

    private static final List<String> SEGMENTS = List.of("prompt", "generated");

    private Adaptive() {}

    public static Map<String, Object> run(Setup s, Path out) {
        long t0 = System.nanoTime();
        int L = s.model().config.nLayers(), d = s.model().config.hiddenSize();
        SteeringVectors plain = s.start().copy(), adaptiveVectors = s.start().copy();
        train(s, Policy.ofVectors(s.model(), plain, s.tokenizer(), s.prompts()), out.resolve("runs/plain"));
        AdaptiveScale scale = AdaptiveScale.identity(L, d);
        train(s, Policy.ofAdaptive(s.model(), adaptiveVectors, scale, s.tokenizer(), s.prompts()), out.resolve("runs/adaptive"));
        scale = AdaptiveScale.read(out.resolve("runs/adaptive").resolve(AdaptiveScale.FILE), L, d);
        adaptiveVectors = VectorFiles.read(out.resolve("runs/adaptive/vectors.safetensors"), L, d);
        plain = VectorFiles.read(out.resolve("runs/plain/vectors.safetensors"), L, d);
        double trainSeconds = (System.nanoTime() - t0) / 1e9;

        List<int[]> prompts = new ArrayList<>();
        for (Problem p : s.test()) prompts.add(s.prompts().encode(p));
        Steering adaptive = Steering.of(adaptiveVectors).withAdaptive(scale);
        Sampled.Result rp = Sampled.run(s.model(), s.tokenizer(), s.test(), prompts, Steering.of(plain), null, s.eval());
        Sampled.Result ra = Sampled.run(s.model(), s.tokenizer(), s.test(), prompts, adaptive, null, s.eval());

        List<Sampled.Sample> read = ra.samples().subList(0, Math.min(s.scaleSamples(), ra.samples().size()));
        List<Object> layers = scaleByLayer(s, adaptive, prompts, read);
        Map<String, Object> json = Out.map(
                "recipe", Json.MAPPER.valueToTree(s.recipe()), "k", s.eval().k(), "temperature", 1.0, "n_problems", s.test().size(),
                "accuracy", Out.map("plain", rp.json(), "adaptive", ra.json(),
                        "adaptive_minus_plain", Out.interval(Bootstrap.meanDiff(ra.perProblem(), rp.perProblem(), s.eval().seed()))),
                "scale", Out.map("samples_read", read.size(), "categories", TokenCategories.CATEGORIES, "layers", layers),
                "train_seconds", trainSeconds, "seconds", (System.nanoTime() - t0) / 1e9);
        Out.write(out, "adaptive.json", json);
        return json;
    }

    /** Trains the policy's parameters in runDir, or reads a finished run of the same configuration back. */
    private static void train(Setup s, Policy policy, Path runDir) {
        Path cfgFile = runDir.resolve("config.json");
        if (Files.isRegularFile(runDir.resolve("vectors.safetensors")) && Files.isRegularFile(cfgFile)
                && Json.write(RlConfig.fromJson(cfgFile)).equals(Json.write(s.recipe()))) {
            return;
        }
        new Trainer(s.recipe(), policy, s.train(), s.reward(), s.reward(), runDir,
                Map.of("experiment", policy.adaptive != null ? "adaptive" : "adaptive (plain vectors)")).run(true);
    }

    /**
     * Per layer with a vector: b_l, |a_l|, and the mean of s_l(h) over the tokens of the completions read (prompt
     * tokens vs generated ones, and by category of the token at that position), each a mean over completions with a
     * 95% bootstrap interval. h is the block's output before the add: hook_resid_mid plus hook_mlp_out.
     */
    private static List<Object> scaleByLayer(Setup s, Steering steering, List<int[]> prompts, List<Sampled.Sample> samples) {
        int L = s.model().config.nLayers(), d = s.model().config.hiddenSize();
        int[] layers = steering.vectors().layers();
        int[] categoryOf = TokenCategories.ofVocab(new Vocab(s.tokenizer(), s.model().config.vocabSize()));
        int C = TokenCategories.CATEGORIES.size();
        // per layer, per completion: sum and count of s by segment and by category
        double[][][] segSum = new double[L][samples.size()][2], catSum = new double[L][samples.size()][C];
        int[][][] segN = new int[L][samples.size()][2], catN = new int[L][samples.size()][C];
        Transformer tf = s.model().transformer;
        HookNames names = tf.hookNames;
        int batch = 16;
        for (int s0 = 0; s0 < samples.size(); s0 += batch) {
            List<Sampled.Sample> mb = samples.subList(s0, Math.min(samples.size(), s0 + batch));
            List<int[]> ps = new ArrayList<>(), cs = new ArrayList<>();
            for (Sampled.Sample x : mb) {
                ps.add(prompts.get(x.problem()));
                cs.add(x.tokens());
            }
            TokenBatch tb = TokenBatch.rightPadded(ps, cs);
            int T = tb.tokens(), first = s0;
            float[][] mid = new float[L][];
            Hooks hooks = new Hooks();
            for (int l : layers) {
                hooks.add(names.residMid[l], a -> mid[l] = a.data().clone()); // the stream is updated in place later
                hooks.add(names.mlpOut[l], a -> {
                    for (int b = 0; b < mb.size(); b++) {
                        int P = ps.get(b).length, n = P + cs.get(b).length;
                        for (int t = 0; t < n; t++) {
                            int row = (b * T + t) * d;
                            float[] h = new float[d];
                            for (int i = 0; i < d; i++) h[i] = mid[l][row + i] + a.data()[row + i];
                            double sv = steering.adaptive().at(l, h, 0);
                            int seg = t < P ? 0 : 1, cat = categoryOf[tb.ids()[b * T + t]];
                            segSum[l][first + b][seg] += sv;
                            segN[l][first + b][seg]++;
                            catSum[l][first + b][cat] += sv;
                            catN[l][first + b][cat]++;
                        }
                    }
                });
            }
            tf.forward(tb, steering, hooks, Transformer.Save.NONE);
        }
        List<Object> out = new ArrayList<>();
        long seed = s.eval().seed() ^ 0xADA97L;
        for (int l : layers) {
            Map<String, Object> seg = Out.map(), cat = Out.map();
            for (int k = 0; k < 2; k++) seg.put(SEGMENTS.get(k), Out.interval(Bootstrap.mean(means(segSum[l], segN[l], k), seed)));
            for (int k = 0; k < C; k++) cat.put(TokenCategories.CATEGORIES.get(k), Out.interval(Bootstrap.mean(means(catSum[l], catN[l], k), seed)));
            out.add(Out.map("layer", l, "b", Out.num(steering.adaptive().b[l]), "a_norm", SingleLayer.norm(steering.adaptive().a[l]),
                    "vector_norm", SingleLayer.norm(steering.vectors().get(l)), "mean_s", seg, "mean_s_by_category", cat));
        }
        return out;
    }

    /** The per-completion means of column k, over the completions that have a token there. */
    private static double[] means(double[][] sum, int[][] n, int k) {
        List<Double> m = new ArrayList<>();
        for (int i = 0; i < sum.length; i++) if (n[i][k] > 0) m.add(sum[i][k] / n[i][k]);
        double[] out = new double[m.size()];
        for (int i = 0; i < out.length; i++) out[i] = m.get(i);
        return out;
    }
}
