package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import steerscope.model.Generator;
import steerscope.model.Hooks;
import steerscope.model.Model;
import steerscope.model.Sampler;
import steerscope.model.Steering;
import steerscope.rl.RolloutStep;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;

/**
 * Sampled accuracy of one condition (a steering, optionally hooks that patch the forward): k completions per
 * problem at temperature 1, each checked against the answer; the accuracy is the mean over problems of the
 * fraction correct, with a 95% bootstrap interval over problems. Sample j of problem i draws from seed
 * (seed, i, j) in every condition, so conditions are compared on the same random streams.
 */
public final class Sampled {
    /** One sampled completion of problem {@code problem}: generated ids (EOS included when reached). */
    public record Sample(int problem, int[] tokens, boolean eos, boolean correct) {}

    /** Per-problem fraction correct, the samples, and the mean with its interval {mean, lo, hi}. */
    public record Result(double[] perProblem, List<Sample> samples, double[] accuracy) {
        Map<String, Object> json() {
            return Out.map("accuracy", Out.num(accuracy[0]), "ci", Arrays.asList(Out.num(accuracy[1]), Out.num(accuracy[2])));
        }
    }

    /** How: samples per problem, token budget, prompts per generation batch, seed. */
    public record Options(int k, int maxNewTokens, int batch, long seed) implements Serializable {}

    private Sampled() {}

    public static Result run(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts, Steering steering,
                             Hooks hooks, Options opt) {
        return run(model, tokenizer, problems, prompts, steering, hooks, new int[0], opt);
    }

    /**
     * With {@code forced} tokens appended to every prompt and counted as the start of each completion (what the
     * answer is checked on): the prefix-token control.
     */
    public static Result run(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts, Steering steering,
                             Hooks hooks, int[] forced, Options opt) {
        Generator gen = new Generator(model.transformer, tokenizer::decode);
        AnswerChecker checker = new AnswerChecker();
        Generator.Options g = new Generator.Options(opt.maxNewTokens(), new Sampler(1f, 1f, 0), List.of(), true);
        double[] per = new double[problems.size()];
        List<Sample> samples = new ArrayList<>();
        int perBatch = Math.max(1, opt.batch() / Math.max(1, opt.k()));
        for (int s = 0; s < problems.size(); s += perBatch) {
            int e = Math.min(problems.size(), s + perBatch);
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = s; i < e; i++) for (int j = 0; j < opt.k(); j++) reqs.add(new Generator.Request(concat(prompts.get(i), forced), RolloutStep.sampleSeed(opt.seed(), i, j)));
            List<Generator.Result> res = gen.generate(reqs, g, steering, hooks, null);
            for (int i = s; i < e; i++) {
                int ok = 0;
                for (int j = 0; j < opt.k(); j++) {
                    Generator.Result r = res.get((i - s) * opt.k() + j);
                    int[] completion = concat(forced, r.tokens());
                    boolean correct = checker.matches(tokenizer.decode(completion, true), problems.get(i).answer());
                    if (correct) ok++;
                    samples.add(new Sample(i, completion, r.finishReason().equals("eos"), correct));
                }
                per[i] = ok / (double) opt.k();
            }
        }
        return new Result(per, samples, accuracy(per, opt.seed()));
    }

    /** The mean of per-problem fractions correct with its 95% interval {mean, lo, hi}, as every sampled accuracy here is given. */
    static double[] accuracy(double[] perProblem, long seed) {
        return Bootstrap.mean(perProblem, seed ^ 0xB00757L);
    }

    /** {accuracy, ci} of per-problem fractions correct, as {@link Result#json} writes it. */
    static Map<String, Object> accuracyJson(double[] perProblem, long seed) {
        double[] a = accuracy(perProblem, seed);
        return Out.map("accuracy", Out.num(a[0]), "ci", Arrays.asList(Out.num(a[1]), Out.num(a[2])));
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
