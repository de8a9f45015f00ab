package steerscope.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import steerscope.model.ActivationCache;
import steerscope.model.HookNames;
import steerscope.model.Hooks;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;

/**
 * Vectors against the full fine-tune, mechanistically ({@code compare_finetune.json}): does the fine-tune do
 * what the vectors do? Three comparisons on the same prompts:
 * <ul>
 * <li>the Δp-per-position profile ({@link DeltaP}) of the full fine-tune against the base model, on completions
 * sampled from the fine-tune, next to the same profile of the vectors against the base on the vectors' samples;</li>
 * <li>KL(P_full ‖ P_steered) per position on the fine-tune's completions: where the vector-steered base model
 * predicts what the fine-tune predicts;</li>
 * <li>per layer, the fine-tune's mean residual difference (full − base at {@code hook_resid_post}, mean over
 * prompt tokens) read through the base model's logit lens, next to the lens of that layer's vector and of the
 * vectors' own propagated difference (steered − base), with the cosines between them.</li>
 * </ul>
 * Accuracies: sampled at T = 1, 95% bootstrap over problems; KL, Δp: over sequences; cosines: over prompts.
 */
public final class CompareFinetune {
    /** Lens tokens listed per direction. */
    static final int TOP = 10;

    private CompareFinetune() {}

    /**
     * @param full the fine-tune: same shapes and vocabulary as {@code base}
     * @param sequences EOS-ending samples teacher-forced per comparison
     * @param forwardPrompts prompts whose residual differences are read
     */
    public static Map<String, Object> run(Model base, Model full, Tokenizer tokenizer, Prompts prompts, List<Problem> problems, SteeringVectors vectors,
                                          Sampled.Options opt, int sequences, int forwardPrompts, boolean progress) {
        long t0 = System.nanoTime();
        List<int[]> enc = new ArrayList<>();
        for (Problem p : problems) enc.add(prompts.encode(p));
        Progress pr = progress ? new Progress("compare-finetune", 7, 0) : null;
        Steering steer = Steering.of(vectors);
        Sampled.Result b = Sampled.run(base, tokenizer, problems, enc, null, null, opt);
        step(pr, 1, "base");
        Sampled.Result v = Sampled.run(base, tokenizer, problems, enc, steer, null, opt);
        step(pr, 2, "vectors");
        Sampled.Result f = Sampled.run(full, tokenizer, problems, enc, null, null, opt);
        step(pr, 3, "full");
        Vocab vocab = new Vocab(tokenizer, base.config.vocabSize());
        int[] cat = TokenCategories.ofVocab(vocab);
        long seed = opt.seed();
        Transformer tb = base.transformer, tf = full.transformer;
        List<Sampled.Sample> fs = spread(f.samples()), vs = spread(v.samples());
        Map<String, Object> fullVsBase = DeltaP.analyse(tf, null, tb, null, vocab, cat, enc, fs, sequences, seed);
        step(pr, 4, "Δp full vs base");
        Map<String, Object> vectorsVsBase = DeltaP.analyse(tb, steer, tb, null, vocab, cat, enc, vs, sequences, seed);
        step(pr, 5, "Δp vectors vs base");
        // "steered" = the vector-steered base, "zeroed" = the fine-tune: its KL is KL(P_full ‖ P_steered), Δp = p_steered − p_full
        Map<String, Object> fullVsSteered = DeltaP.analyse(tb, steer, tf, null, vocab, cat, enc, fs, sequences, seed);
        step(pr, 6, "KL full vs steered");
        List<Object> lens = residualLens(tb, tf, vocab, new Lens(base.weights), vectors, enc.subList(0, Math.min(enc.size(), Math.max(1, forwardPrompts))), opt.batch(), seed);
        step(pr, 7, "lens");
        return Out.map("k", opt.k(), "temperature", 1.0, "n_problems", problems.size(),
                "accuracy", Out.map("base", b.json(), "vectors", v.json(), "full", f.json()),
                "vectors_gain", Out.interval(Bootstrap.meanDiff(v.perProblem(), b.perProblem(), seed)),
                "full_gain", Out.interval(Bootstrap.meanDiff(f.perProblem(), b.perProblem(), seed)),
                "full_minus_vectors", Out.interval(Bootstrap.meanDiff(f.perProblem(), v.perProblem(), seed)),
                "delta_p_full_vs_base", fullVsBase, "delta_p_vectors_vs_base", vectorsVsBase, "kl_full_vs_steered", fullVsSteered,
                "layers", lens, "seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
    }

    /**
     * Per layer l: the fine-tune's and the vectors' mean residual difference from the base at {@code hook_resid_post[l]}
     * over the prompt tokens, their logit lens (top and bottom tokens), the lens of the vector v_l, and the cosines
     * (per prompt, then the mean over prompts with its interval).
     */
    static List<Object> residualLens(Transformer base, Transformer full, Vocab vocab, Lens lens, SteeringVectors vectors, List<int[]> prompts,
                                     int batch, long seed) {
        int L = base.config.nLayers(), d = base.config.hiddenSize(), P = prompts.size();
        double[][][] fullMean = new double[L][P][d], vecMean = new double[L][P][d]; // per layer, per prompt: mean difference over its tokens
        int done = 0;
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) {
            Batch bt = Batch.ofPrompts(chunk);
            ActivationCache cb = new ActivationCache(), cf = new ActivationCache(), cv = new ActivationCache();
            bt.run(base, null, new Hooks().cache(cb, n -> HookNames.isPoint(n, HookNames.RESID_POST)));
            bt.run(full, null, new Hooks().cache(cf, n -> HookNames.isPoint(n, HookNames.RESID_POST)));
            bt.run(base, Steering.of(vectors), new Hooks().cache(cv, n -> HookNames.isPoint(n, HookNames.RESID_POST)));
            for (int l = 0; l < L; l++) {
                float[] x = cb.get(base.hookNames.residPost[l]).data(), y = cf.get(full.hookNames.residPost[l]).data(), z = cv.get(base.hookNames.residPost[l]).data();
                for (int r = 0; r < bt.size; r++) {
                    int n = bt.lengths[r];
                    for (int i = 0; i < n; i++) {
                        int row = bt.row(r, i);
                        for (int k = 0; k < d; k++) {
                            fullMean[l][done + r][k] += (y[row * d + k] - x[row * d + k]) / n;
                            vecMean[l][done + r][k] += (z[row * d + k] - x[row * d + k]) / n;
                        }
                    }
                }
            }
            done += bt.size;
        }
        List<Object> out = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            float[] fm = mean(fullMean[l], d), vm = mean(vecMean[l], d);
            double[] cosVectors = new double[P], cosVector = new double[P];
            float[] v = vectors.get(l);
            for (int p = 0; p < P; p++) {
                float[] a = toFloat(fullMean[l][p]);
                cosVectors[p] = Persistence.orZero(Divergence.cosine(a, toFloat(vecMean[l][p])));
                cosVector[p] = v == null ? Double.NaN : Persistence.orZero(Divergence.cosine(a, v));
            }
            float[] lf = lens.ofDirection(fm), lv = lens.ofDirection(vm);
            Map<String, Object> row = Out.map("layer", l,
                    "full_diff_norm", Out.num(SingleLayer.norm(fm)), "vectors_diff_norm", Out.num(SingleLayer.norm(vm)),
                    "vector_norm", v == null ? null : Out.num(SingleLayer.norm(v)),
                    "cosine_full_vectors_diff", Out.interval(Bootstrap.mean(cosVectors, seed)),
                    "cosine_full_diff_vector", v == null ? null : Out.interval(Bootstrap.mean(cosVector, seed)),
                    "full_top", tokens(vocab, lf, true), "full_bottom", tokens(vocab, lf, false),
                    "vectors_diff_top", tokens(vocab, lv, true),
                    "vector_top", v == null ? null : tokens(vocab, lens.ofDirection(v), true),
                    "top_overlap_full_vectors_diff", Out.num(overlap(vocab, lf, lv)));
            out.add(row);
        }
        return out;
    }

    /**
     * The samples reordered first sample of every problem, then the second, ...: DeltaP keeps the first EOS-ending
     * ones, which should come from as many problems as there are (the K samples of one problem share its prompt).
     */
    static List<Sampled.Sample> spread(List<Sampled.Sample> samples) {
        List<Sampled.Sample> out = new ArrayList<>(samples);
        Map<Integer, Integer> seen = new HashMap<>();
        int[] rank = new int[out.size()];
        for (int i = 0; i < out.size(); i++) rank[i] = seen.merge(out.get(i).problem(), 1, Integer::sum);
        Integer[] idx = new Integer[out.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> rank[a] != rank[b] ? Integer.compare(rank[a], rank[b]) : Integer.compare(a, b));
        List<Sampled.Sample> sorted = new ArrayList<>();
        for (int i : idx) sorted.add(out.get(i));
        return sorted;
    }

    private static List<Map<String, Object>> tokens(Vocab vocab, float[] lens, boolean top) {
        return vocab.entries(vocab.top(lens, 0, TOP, top), lens, 0);
    }

    /** Shared tokens among the top TOP of two lenses, as a fraction of TOP. */
    private static double overlap(Vocab vocab, float[] a, float[] b) {
        Set<Integer> s = new HashSet<>();
        for (int id : vocab.top(a, 0, TOP, true)) s.add(id);
        int n = 0;
        for (int id : vocab.top(b, 0, TOP, true)) if (s.contains(id)) n++;
        return n / (double) TOP;
    }

    private static float[] mean(double[][] rows, int d) {
        float[] m = new float[d];
        for (double[] r : rows) for (int k = 0; k < d; k++) m[k] += (float) (r[k] / rows.length);
        return m;
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static void step(Progress p, int done, String what) {
        if (p != null) p.update(done, what);
    }
}
