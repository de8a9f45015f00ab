package steerscope.rl;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.GreedyCompletions;
import steerscope.model.Model;
import steerscope.model.Sampler;
import steerscope.model.Steering;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;
import steerscope.verify.Extraction;

/**
 * Accuracy on a test set: with K samples at a temperature, the mean accuracy over them (the paper's metric,
 * avg@K at T = 1), and greedy pass@1; each with a 95% bootstrap interval over problems. Problems are decoded in
 * batches ({@link GreedyCompletions}, then the same batch's samples); per-problem results are kept.
 */
public final class Evaluator {
    public record Options(int samples, float temperature, int maxNewTokens, long seed, int batch) implements Serializable {}

    public record ProblemResult(String id, String question, String answer, String greedy, boolean greedyCorrect,
                                int greedyTokens, List<String> samples, double sampleAccuracy) implements Serializable {}

    /** Accuracies with 95% bootstrap intervals over problems ({@code sampled} is NaN when samples is 0). */
    public record Summary(int n, double greedyAccuracy, double meanSampleAccuracy, int samples, double meanGreedyTokens,
                          Bootstrap.Interval greedy, Bootstrap.Interval sampled) {

        public static Summary of(List<ProblemResult> problems, int samples) {
            int n = problems.size();
            Bootstrap.Interval greedy = Bootstrap.mean(greedyColumn(problems));
            Bootstrap.Interval sampled = samples > 0 ? Bootstrap.mean(sampledColumn(problems))
                    : new Bootstrap.Interval(Double.NaN, Double.NaN, Double.NaN);
            double len = problems.stream().mapToInt(ProblemResult::greedyTokens).average().orElse(0);
            return new Summary(n, n == 0 ? 0 : greedy.value(), sampled.value(), samples, len, greedy, sampled);
        }
    }

    /** 1 or 0 per problem: greedy pass@1. */
    public static double[] greedyColumn(List<ProblemResult> problems) {
        return problems.stream().mapToDouble(p -> p.greedyCorrect() ? 1 : 0).toArray();
    }

    /** The share of right samples per problem. */
    public static double[] sampledColumn(List<ProblemResult> problems) {
        return problems.stream().mapToDouble(ProblemResult::sampleAccuracy).toArray();
    }

    public record Result(Summary summary, List<ProblemResult> problems) {}

    private final Model model;
    private final Tokenizer tokenizer;
    private final Prompts prompts;
    private final AnswerChecker checker = new AnswerChecker();
    /**
     * How an answer is read for evaluation: the last box, else the broader math_verify-style fallbacks (the RL
     * reward of the paper preset reads the last box only); named in the summary file.
     */
    public static final Extraction EXTRACTION = Extraction.BOXED_THEN_FALLBACK;

    public Evaluator(Model model, Tokenizer tokenizer, Prompts prompts) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.prompts = prompts;
    }

    public Result evaluate(List<Problem> problems, Steering steering, Options opt, boolean showProgress) {
        Generator gen = new Generator(model.transformer, tokenizer::decode);
        List<int[]> encoded = new ArrayList<>(problems.size());
        for (Problem p : problems) encoded.add(prompts.encode(p));
        List<ProblemResult> out = new ArrayList<>();
        Progress progress = showProgress ? new Progress("eval", problems.size(), 0) : null;
        // each batch's samples are drawn as soon as its greedy completions are in
        GreedyCompletions.of(model, tokenizer, encoded, steering, opt.maxNewTokens(), opt.batch(), (first, greedy) -> {
            List<Generator.Result> sampled = List.of();
            if (opt.samples() > 0) {
                List<Generator.Request> reqs = new ArrayList<>();
                for (int i = 0; i < greedy.size(); i++) {
                    for (int k = 0; k < opt.samples(); k++) {
                        reqs.add(new Generator.Request(encoded.get(first + i), RolloutStep.sampleSeed(opt.seed(), first + i, k)));
                    }
                }
                sampled = gen.generate(reqs, new Generator.Options(opt.maxNewTokens(), new Sampler(opt.temperature(), 1f, 0), List.of(), true),
                        steering, null);
            }
            for (int i = 0; i < greedy.size(); i++) {
                Problem p = problems.get(first + i);
                String text = greedy.get(i).text();
                List<String> samples = new ArrayList<>();
                int ok = 0;
                for (int k = 0; k < opt.samples(); k++) {
                    String t = tokenizer.decode(sampled.get(i * opt.samples() + k).tokens(), true);
                    samples.add(t);
                    if (checker.matches(t, p.answer(), EXTRACTION)) ok++;
                }
                out.add(new ProblemResult(p.id(), p.question(), p.answer(), text, checker.matches(text, p.answer(), EXTRACTION),
                        greedy.get(i).tokens().length, samples, opt.samples() > 0 ? (double) ok / opt.samples() : Double.NaN));
            }
            if (progress != null) progress.update(out.size(), String.format(Locale.ROOT, "acc %.3f",
                    out.stream().filter(ProblemResult::greedyCorrect).count() / (double) out.size()));
        });
        return new Result(Summary.of(out, opt.samples()), out);
    }

    /** results.jsonl (one line per problem) and, beside it, NAME.summary.json. */
    public static void write(Result r, Path resultsJsonl) {
        StringBuilder sb = new StringBuilder();
        for (ProblemResult p : r.problems()) sb.append(Json.write(p)).append('\n');
        AtomicFiles.writeString(resultsJsonl, sb.toString());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("n", r.summary().n());
        s.put("greedy_accuracy", r.summary().greedyAccuracy());
        s.put("greedy_accuracy_ci", r.summary().greedy().ci());
        if (r.summary().samples() > 0) {
            s.put("mean_sample_accuracy", r.summary().meanSampleAccuracy());
            s.put("mean_sample_accuracy_ci", r.summary().sampled().ci());
        }
        s.put("samples", r.summary().samples());
        s.put("extraction", EXTRACTION.name().toLowerCase(Locale.ROOT));
        s.put("mean_greedy_tokens", r.summary().meanGreedyTokens());
        String name = resultsJsonl.getFileName().toString().replaceFirst("\\.jsonl$", "");
        AtomicFiles.writeString(resultsJsonl.resolveSibling(name + ".summary.json"), Json.writePretty(s));
    }
}
