package steerscope.analysis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;

/**
 * Transfer across a model family ({@code transfer.json}): vectors trained on model A applied to model B of the
 * same shapes. The sampled accuracy of each model with no vector, its own vector and the other model's
 * ("transferred"), on the same problems and sampling seeds, and {@code kept_fraction} = the transferred vector's
 * gain on B / B's own vector's gain on B (or, when B has no vectors of its own, / A's own gain on A), a ratio
 * only when that own gain is positive beyond its 95% interval. Intervals: bootstrap over problems, paired.
 */
public final class Transfer {
    /** One model of the pair: what it is called in the output, how it is run, and the vectors trained on it (or null). */
    public record Side(String name, Model model, Tokenizer tokenizer, Prompts prompts, SteeringVectors own) {}

    private Transfer() {}

    public static Map<String, Object> run(Side a, Side b, List<Problem> problems, Sampled.Options opt, Path conditionsDir, String key, boolean progress) {
        long t0 = System.nanoTime();
        Progress pr = progress ? new Progress("transfer", 6, 0) : null;
        int[] done = {0};
        double[][] ca = columns(a, b.own(), "from", problems, opt, new Conditions(conditionsDir, key + " A " + CombineLayers.fingerprint(vs(a, b))), pr, done);
        double[][] cb = columns(b, a.own(), "to", problems, opt, new Conditions(conditionsDir, key + " B " + CombineLayers.fingerprint(vs(a, b))), pr, done);
        long seed = opt.seed();
        Map<String, Object> out = Out.map("k", opt.k(), "temperature", 1.0, "n_problems", problems.size(),
                "models", Out.map("from", a.name(), "to", b.name()),
                "from", side(ca, seed), "to", side(cb, seed));
        // the headline: A's vectors on B, against B's own (else A's own on A)
        boolean bOwn = cb[1] != null;
        double[] own = bOwn ? Bootstrap.diff(cb[1], cb[0]) : Bootstrap.diff(ca[1], ca[0]);
        putKept(out, "kept_fraction", Bootstrap.diff(cb[2], cb[0]), own, bOwn ? "own gain of the 'to' model's vectors on it"
                : "own gain of the 'from' model's vectors on it (the 'to' model has no vectors of its own here)", seed);
        if (ca[2] != null) putKept(out, "kept_fraction_reverse", Bootstrap.diff(ca[2], ca[0]), Bootstrap.diff(ca[1], ca[0]),
                "own gain of the 'from' model's vectors on it", seed);
        out.put("seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
        return out;
    }

    private static List<SteeringVectors> vs(Side a, Side b) {
        List<SteeringVectors> l = new ArrayList<>();
        for (SteeringVectors v : new SteeringVectors[] {a.own(), b.own()}) if (v != null) l.add(v);
        return l;
    }

    /** Per-problem columns {none, own, transferred} of one model; a vector it was not given is a null column. */
    private static double[][] columns(Side s, SteeringVectors other, String tag, List<Problem> problems, Sampled.Options opt, Conditions cond,
                                      Progress pr, int[] done) {
        List<int[]> enc = new ArrayList<>();
        for (Problem p : problems) enc.add(s.prompts().encode(p));
        double[][] c = new double[3][];
        String[] names = {"none", "own", "transferred"};
        SteeringVectors[] vec = {null, s.own(), other};
        for (int i = 0; i < 3; i++) {
            if (i > 0 && vec[i] == null) continue;
            c[i] = cond.perProblem(tag + "-" + names[i], s.model(), s.tokenizer(), problems, enc, vec[i] == null ? null : Steering.of(vec[i]), opt);
            if (pr != null) pr.update(++done[0], tag + " " + names[i]);
        }
        return c;
    }

    private static Map<String, Object> side(double[][] c, long seed) {
        Map<String, Object> m = Out.map();
        String[] names = {"none", "own", "transferred"};
        for (int i = 0; i < 3; i++) m.put(names[i], c[i] == null ? null : Sampled.accuracyJson(c[i], seed));
        m.put("own_gain", c[1] == null ? null : Out.interval(Bootstrap.meanDiff(c[1], c[0], seed)));
        m.put("transferred_gain", c[2] == null ? null : Out.interval(Bootstrap.meanDiff(c[2], c[0], seed)));
        return m;
    }

    /** A kept fraction with its interval, or null and the reason when the own gain is not clearly positive. */
    private static void putKept(Map<String, Object> out, String name, double[] transferredGain, double[] ownGain, String denominator, long seed) {
        double[] g = Bootstrap.mean(ownGain, seed);
        out.put(name + "_denominator", denominator);
        if (!(g[1] > 0)) {
            out.put(name, null);
            out.put(name + "_reason", String.format(Locale.ROOT, "not measurable: the %s, %.3f [%.3f, %.3f], is not positive beyond its 95%% interval",
                    denominator, g[0], g[1], g[2]));
            return;
        }
        out.put(name, Out.interval(Bootstrap.ratio(transferredGain, ownGain, seed)));
        out.put(name + "_reason", null);
    }
}
