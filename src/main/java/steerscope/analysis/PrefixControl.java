package steerscope.analysis;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.model.Model;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;

/**
 * The prefix-token control ({@code prefix.json}): does the last-layer vector do more than put one token first?
 * The base model, no vector, with the vector's top first token (the largest mean Δp at pos 0, from
 * {@code delta_p.json}) appended to every prompt, is sampled like the steered model; its accuracy gain over
 * the base is divided by the vector's gain. The fraction is given only when the vector's gain is clearly
 * positive (its 95% interval above 0); else it is null, with the reason.
 */
final class PrefixControl {
    private PrefixControl() {}

    /**
     * @param base the base model's sampled result on these problems (no vector)
     * @param vector the sampled result with the vector
     */
    static Map<String, Object> analyse(Model model, Tokenizer tokenizer, Vocab vocab, List<Problem> problems, List<int[]> prompts,
                                       int token, Sampled.Result base, Sampled.Result vector, Sampled.Options opt) {
        Sampled.Result prefix = Sampled.run(model, tokenizer, problems, prompts, null, null, new int[] {token}, opt);
        long seed = opt.seed();
        double[] gainPrefix = Bootstrap.meanDiff(prefix.perProblem(), base.perProblem(), seed);
        double[] gainVector = Bootstrap.meanDiff(vector.perProblem(), base.perProblem(), seed);
        double[] gp = Bootstrap.diff(prefix.perProblem(), base.perProblem()), gv = Bootstrap.diff(vector.perProblem(), base.perProblem());
        double[] fraction = Bootstrap.ratio(gp, gv, seed);
        String reason = Double.isNaN(fraction[0])
                ? "the vector's gain is not clearly positive (95% interval " + interval(gainVector) + "), so no fraction of it is meaningful"
                : null;
        return Out.map("token", vocab.entry(token, Double.NaN), "k", opt.k(), "n_problems", problems.size(),
                "base", base.json(), "prefix", prefix.json(), "vector", vector.json(),
                "gain_prefix", Out.interval(gainPrefix), "gain_vector", Out.interval(gainVector),
                "fraction", Double.isNaN(fraction[0]) ? null : Out.interval(fraction), "fraction_reason", reason);
    }

    private static String interval(double[] v) {
        return String.format(Locale.ROOT, "[%.3f, %.3f]", v[1], v[2]);
    }
}
