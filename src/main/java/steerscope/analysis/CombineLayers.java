package steerscope.analysis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorArithmetic;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;
import steerscope.util.UserError;

/**
 * Combining single-layer vectors ({@code combine_layers.json}): vectors trained alone on one layer each, every
 * pair applied together (each at scale 1, at every position), the sampled accuracy of each single vector and each
 * pair, and per pair its gain relative to the better of its two single vectors: {@code minus_best} = acc(pair) −
 * max(acc(i), acc(j)), and {@code relative} = (acc(pair) − base) / (max(acc(i), acc(j)) − base), given only when
 * the better single vector's gain is clearly positive. The correlation over pairs of that normalised gain with the
 * cosine of the two vectors says whether aligned vectors add up less than orthogonal ones. Every interval is a
 * 95% bootstrap over problems, all conditions resampled together (the best single vector is re-chosen in each
 * resample).
 */
public final class CombineLayers {
    private CombineLayers() {}

    /**
     * @param singles single-layer vectors, one per layer, in the order of their layers
     * @param conditionsDir where each condition's per-problem accuracy is kept (the experiment resumes from it)
     * @param key what the kept accuracies depend on besides the vectors (model, problems, options)
     */
    public static Map<String, Object> run(Model model, Tokenizer tokenizer, Prompts prompts, List<Problem> problems, List<SteeringVectors> singles,
                                          Sampled.Options opt, Path conditionsDir, String key, boolean progress) {
        int n = singles.size();
        if (n < 2) throw new UserError("combine-layers needs single-layer vectors on at least 2 layers, got " + n);
        if (problems.isEmpty()) throw new UserError("no problems to evaluate");
        int[] layer = new int[n];
        for (int i = 0; i < n; i++) {
            int[] ls = singles.get(i).layers();
            if (ls.length != 1) throw new UserError("vector set " + i + " holds layers " + Arrays.toString(ls) + "; combine-layers takes vectors trained alone on one layer");
            layer[i] = ls[0];
        }
        List<int[]> enc = new ArrayList<>();
        for (Problem p : problems) enc.add(prompts.encode(p));
        long t0 = System.nanoTime();
        Conditions cond = new Conditions(conditionsDir, key + " vectors " + fingerprint(singles));
        int total = 1 + n + n * (n - 1) / 2, done = 0;
        Progress pr = progress ? new Progress("combine-layers", total, 0) : null;
        double[] base = cond.perProblem("base", model, tokenizer, problems, enc, null, opt);
        step(pr, ++done, "base");
        double[][] single = new double[n][];
        for (int i = 0; i < n; i++) {
            single[i] = cond.perProblem("layer-" + layer[i], model, tokenizer, problems, enc, Steering.of(singles.get(i)), opt);
            step(pr, ++done, "layer " + layer[i]);
        }
        double[][][] pair = new double[n][n][];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                SteeringVectors both = VectorArithmetic.combine(List.of(singles.get(i), singles.get(j)), List.of(Path.of("layer-" + layer[i]),
                        Path.of("layer-" + layer[j])), new double[] {1, 1}, null);
                pair[i][j] = cond.perProblem("pair-" + layer[i] + "-" + layer[j], model, tokenizer, problems, enc, Steering.of(both), opt);
                step(pr, ++done, "layers " + layer[i] + "+" + layer[j]);
            }
        }
        return summarise(layer, singles, base, single, pair, opt, (System.nanoTime() - t0) / 1e9);
    }

    /** The JSON of the measured columns; separate from the sampling so the statistics can be checked on known columns. */
    static Map<String, Object> summarise(int[] layer, List<SteeringVectors> singles, double[] base, double[][] single, double[][][] pair,
                                         Sampled.Options opt, double seconds) {
        int n = layer.length;
        long seed = opt.seed();
        // columns: base, the singles, then the pairs (i < j) in order
        List<double[]> cols = new ArrayList<>(List.of(base));
        cols.addAll(Arrays.asList(single));
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
            pairs.add(new int[] {i, j});
            cols.add(pair[i][j]);
        }
        double[][] c = cols.toArray(new double[0][]);
        double[] cos = new double[pairs.size()];
        for (int k = 0; k < pairs.size(); k++) {
            int[] p = pairs.get(k);
            cos[k] = Divergence.cosine(singles.get(p[0]).get(layer[p[0]]), singles.get(p[1]).get(layer[p[1]]));
        }

        List<Object> singleRows = new ArrayList<>();
        Bootstrap.Interval[] singleGain = new Bootstrap.Interval[n];
        for (int i = 0; i < n; i++) {
            int col = 1 + i;
            singleGain[i] = Bootstrap.paired(c, s -> Bootstrap.average(s[col]) - Bootstrap.average(s[0]));
            singleRows.add(Out.map("layer", layer[i], "accuracy", Sampled.accuracyJson(single[i], seed), "gain_over_base", interval(singleGain[i]),
                    "vector_norm", Out.num(SingleLayer.norm(singles.get(i).get(layer[i])))));
        }
        List<Object> pairRows = new ArrayList<>();
        double[][] accMatrix = nan(n), relMatrix = nan(n), minusBestMatrix = nan(n);
        boolean allRelative = true;
        for (int k = 0; k < pairs.size(); k++) {
            int i = pairs.get(k)[0], j = pairs.get(k)[1], col = 1 + n + k;
            Bootstrap.Interval minusBest = Bootstrap.paired(c, s -> minusBest(s, 1 + i, 1 + j, col));
            Bootstrap.Interval gain = Bootstrap.paired(c, s -> Bootstrap.average(s[col]) - Bootstrap.average(s[0]));
            int better = Bootstrap.average(single[i]) >= Bootstrap.average(single[j]) ? i : j;
            Map<String, Object> row = Out.map("layers", List.of(layer[i], layer[j]), "accuracy", Sampled.accuracyJson(pair[i][j], seed),
                    "gain_over_base", interval(gain), "minus_best", interval(minusBest), "cosine", Out.num(cos[k]));
            if (singleGain[better].above(0)) {
                Bootstrap.Interval rel = Bootstrap.paired(c, s -> relative(s, 1 + i, 1 + j, col));
                row.put("relative", interval(rel));
                row.put("relative_reason", null);
                relMatrix[i][j] = relMatrix[j][i] = rel.value();
            } else {
                allRelative = false;
                row.put("relative", null);
                row.put("relative_reason", String.format(Locale.ROOT, "the better single vector (layer %d) has gain %.3f [%.3f, %.3f] over the base, "
                        + "not positive beyond its 95%% interval", layer[better], singleGain[better].value(), singleGain[better].lo(), singleGain[better].hi()));
            }
            accMatrix[i][j] = accMatrix[j][i] = Bootstrap.average(pair[i][j]);
            minusBestMatrix[i][j] = minusBestMatrix[j][i] = minusBest.value();
            pairRows.add(row);
        }
        for (int i = 0; i < n; i++) {
            accMatrix[i][i] = Bootstrap.average(single[i]);
            relMatrix[i][i] = singleGain[i].above(0) ? 1 : Double.NaN;
            minusBestMatrix[i][i] = 0;
        }
        Map<String, Object> out = Out.map("k", opt.k(), "temperature", 1.0, "n_problems", base.length, "layers", Arrays.stream(layer).boxed().toList(),
                "base", Sampled.accuracyJson(base, seed), "singles", singleRows, "pairs", pairRows,
                "matrix", Out.map("accuracy", rows(accMatrix), "relative", rows(relMatrix), "minus_best", rows(minusBestMatrix)));
        if (pairs.size() < 3) {
            String why = "a correlation needs at least 3 pairs (3 layers), there are " + pairs.size();
            out.putAll(Out.map("correlation_minus_best", null, "correlation_relative", null, "correlation_reason", why));
        } else {
            out.put("correlation_minus_best", interval(Bootstrap.paired(c, s -> {
                double[] y = new double[pairs.size()];
                for (int k = 0; k < y.length; k++) y[k] = minusBest(s, 1 + pairs.get(k)[0], 1 + pairs.get(k)[1], 1 + n + k);
                return pearson(cos, y);
            })));
            if (allRelative) {
                out.put("correlation_relative", interval(Bootstrap.paired(c, s -> {
                    double[] y = new double[pairs.size()];
                    for (int k = 0; k < y.length; k++) y[k] = relative(s, 1 + pairs.get(k)[0], 1 + pairs.get(k)[1], 1 + n + k);
                    return pearson(cos, y);
                })));
                out.put("correlation_reason", null);
            } else {
                out.put("correlation_relative", null);
                out.put("correlation_reason", "some pair's relative gain is not measurable (its better single vector's gain is not clearly positive)");
            }
        }
        out.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return out;
    }

    /** acc(pair) − max(acc(i), acc(j)) on the (resampled) columns. */
    private static double minusBest(double[][] s, int i, int j, int pair) {
        return Bootstrap.average(s[pair]) - Math.max(Bootstrap.average(s[i]), Bootstrap.average(s[j]));
    }

    /** (acc(pair) − base) / (max(acc(i), acc(j)) − base); NaN (left out of the interval) where the denominator is not positive. */
    private static double relative(double[][] s, int i, int j, int pair) {
        double b = Bootstrap.average(s[0]), best = Math.max(Bootstrap.average(s[i]), Bootstrap.average(s[j])) - b;
        return best > 0 ? (Bootstrap.average(s[pair]) - b) / best : Double.NaN;
    }

    /** Pearson's correlation; NaN when either side has no spread. */
    static double pearson(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Double.NaN;
    }

    private static Map<String, Object> interval(Bootstrap.Interval i) {
        return Out.interval(new double[] {i.value(), i.lo(), i.hi()});
    }

    private static double[][] nan(int n) {
        double[][] m = new double[n][n];
        for (double[] r : m) Arrays.fill(r, Double.NaN);
        return m;
    }

    private static List<Object> rows(double[][] m) {
        List<Object> out = new ArrayList<>();
        for (double[] r : m) out.add(Arrays.stream(r).mapToObj(Out::num).toList());
        return out;
    }

    /** Identifies the vectors by their bits, so kept accuracies of other vectors are never reused. */
    static String fingerprint(List<SteeringVectors> vs) {
        long h = 1125899906842597L;
        for (SteeringVectors v : vs) {
            for (int l : v.layers()) {
                h = 31 * h + l;
                for (float x : v.get(l)) h = 31 * h + Float.floatToRawIntBits(x);
            }
        }
        return Long.toHexString(h);
    }

    private static void step(Progress p, int done, String what) {
        if (p != null) p.update(done, what);
    }
}
