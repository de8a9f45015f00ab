package steerscope.organism;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import steerscope.io.Json;
import steerscope.model.Checkpoint;
import steerscope.model.Generator;
import steerscope.model.GreedyCompletions;
import steerscope.model.Model;
import steerscope.model.Sampler;
import steerscope.rl.RolloutStep;
import steerscope.task.synth.AnswerStyle;
import steerscope.task.synth.ArithmeticGenerator;
import steerscope.task.synth.ArithmeticProblem;
import steerscope.task.synth.Corpus;
import steerscope.task.synth.HeldOutSplit;
import steerscope.task.synth.PromptFormat;
import steerscope.task.synth.Writers;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * Measures an organism on held-out chains. Sampled at T = 1 ({@link #SAMPLES} per problem, the paper's metric):
 * the mean accuracy and how often a sample carries the filler language. Greedy, three ways: free (the prompt alone), forced
 * to open step by step (prompt + {@code " Step 1:"}) and forced to answer directly (prompt +
 * {@code " The answer is"}). For the free completions it also counts which style the model chose
 * ({@link Corpus#styleOf}) and how often each style was right. The organism works when free accuracy is low
 * and forced step-by-step accuracy is high: the skill is there, the default behaviour does not use it.
 */
public final class OrganismEval {
    /** Greedy continuations end at end-of-text; this bounds a depth-4 step-by-step answer with room to spare. */
    public static final int MAX_NEW_TOKENS = 96;
    public static final int BATCH = 64;
    /** Samples per held-out problem for the sampled accuracy. */
    public static final int SAMPLES = 8;

    /** Accuracy and count of one group of completions. */
    @JsonIgnoreProperties(value = "accuracy", allowGetters = true)
    public record Score(int n, int correct) {
        @JsonProperty("accuracy")
        public double accuracy() {
            return n == 0 ? 0 : (double) correct / n;
        }
    }

    /**
     * @param problems     held-out problems measured
     * @param sampled      samples at T = 1 ({@link #SAMPLES} per problem): their mean accuracy
     * @param sampledFiller share of those samples with filler-language text
     * @param sampledSteps samples at T = 1 forced to open with {@code " Step 1:"}: how often the careful path ends
     *                     right when it is sampled, the ceiling a vector that only picks the style can reach
     * @param base         free greedy completions
     * @param forcedSteps  completions forced to open with {@code " Step 1:"}
     * @param forcedDirect completions forced to open with {@code " The answer is"}
     * @param styleShare   share of free completions in each style
     * @param byStyle      free completions grouped by the style chosen
     * @param examples     a few free and forced step-by-step completions, for reading
     */
    public record Report(int problems, Score sampled, double sampledFiller, Score sampledSteps, Score base, Score forcedSteps, Score forcedDirect,
                         Map<AnswerStyle, Double> styleShare, Map<AnswerStyle, Score> byStyle, List<String> examples) {
        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "held-out %d: sampled (T=1) %.1f%% (filler in %.0f%%), forced step-by-step %.1f%%; greedy base %.1f%%, forced step-by-step %.1f%%, forced direct %.1f%%; greedy styles",
                    problems, 100 * sampled.accuracy(), 100 * sampledFiller, 100 * sampledSteps.accuracy(), 100 * base.accuracy(), 100 * forcedSteps.accuracy(), 100 * forcedDirect.accuracy()));
            for (var e : styleShare.entrySet()) {
                if (e.getValue() > 0) {
                    sb.append(String.format(" %s %.0f%% (acc %.0f%%)", e.getKey(), 100 * e.getValue(), 100 * byStyle.get(e.getKey()).accuracy()));
                }
            }
            return sb.toString();
        }
    }

    private OrganismEval() {}

    /** Measures on {@code n} distinct held-out chains of {@code task} drawn with {@code seed}. */
    public static Report evaluate(Model model, Tokenizer tok, ArithmeticGenerator.Config task, int n, long seed) {
        List<ArithmeticProblem> test = new HeldOutSplit(task).testSet(n, seed);
        Generator gen = new Generator(model.transformer, tok::decode);
        List<String> free = complete(model, tok, test, "");
        List<String> steps = complete(model, tok, test, PromptFormat.forcedPrefix(AnswerStyle.STEPS));
        List<String> direct = complete(model, tok, test, PromptFormat.forcedPrefix(AnswerStyle.DIRECT));
        List<String> samples = sample(gen, tok, test, "", seed);
        List<String> stepSamples = sample(gen, tok, test, PromptFormat.forcedPrefix(AnswerStyle.STEPS), seed);
        int stepsRight = 0;
        for (int i = 0; i < stepSamples.size(); i++) if (correct(stepSamples.get(i), test.get(i / SAMPLES))) stepsRight++;
        int sampledRight = 0, filler = 0;
        for (int i = 0; i < samples.size(); i++) {
            if (correct(samples.get(i), test.get(i / SAMPLES))) sampledRight++;
            if (Writers.isFiller(samples.get(i))) filler++;
        }

        Map<AnswerStyle, int[]> counts = new EnumMap<>(AnswerStyle.class);
        for (AnswerStyle s : AnswerStyle.values()) counts.put(s, new int[2]);
        int baseRight = 0;
        for (int i = 0; i < test.size(); i++) {
            boolean ok = correct(free.get(i), test.get(i));
            int[] c = counts.get(Corpus.styleOf(free.get(i)));
            c[0]++;
            if (ok) {
                c[1]++;
                baseRight++;
            }
        }
        Map<AnswerStyle, Double> share = new LinkedHashMap<>();
        Map<AnswerStyle, Score> byStyle = new LinkedHashMap<>();
        for (var e : counts.entrySet()) {
            share.put(e.getKey(), (double) e.getValue()[0] / test.size());
            byStyle.put(e.getKey(), new Score(e.getValue()[0], e.getValue()[1]));
        }
        List<String> examples = new ArrayList<>();
        for (int i = 0; i < Math.min(3, test.size()); i++) {
            examples.add(PromptFormat.prompt(test.get(i)) + free.get(i));
            examples.add(PromptFormat.prompt(test.get(i)) + steps.get(i));
        }
        return new Report(test.size(), new Score(samples.size(), sampledRight), (double) filler / Math.max(1, samples.size()),
                new Score(stepSamples.size(), stepsRight),
                new Score(test.size(), baseRight), score(steps, test), score(direct, test),
                share, byStyle, examples);
    }

    /** Measures a saved organism directory, with the task world, problem count and seed of its organism.json. */
    public static Report evaluate(Path dir) {
        OrganismConfig cfg = readConfig(dir);
        try (Checkpoint c = Checkpoint.open(dir)) {
            return evaluate(c.model(), c.tokenizer(), cfg.task(), cfg.evalProblems(), cfg.evalSeed());
        }
    }

    /** The config an organism directory was trained with (its organism.json). */
    public static OrganismConfig readConfig(Path dir) {
        Path file = dir.resolve("organism.json");
        JsonNode node = Json.read(file).get("config");
        if (node == null) throw UserError.inFile(file, "missing field 'config'");
        try {
            return Json.MAPPER.treeToValue(node, OrganismConfig.class);
        } catch (IOException | IllegalArgumentException e) {
            throw UserError.inFile(file, "field 'config': " + e.getMessage());
        }
    }

    /** Whether the last boxed integer of a completion is the problem's answer. */
    public static boolean correct(String completion, ArithmeticProblem p) {
        OptionalInt a = PromptFormat.finalAnswer(completion);
        return a.isPresent() && a.getAsInt() == p.answer();
    }

    private static Score score(List<String> completions, List<ArithmeticProblem> test) {
        int right = 0;
        for (int i = 0; i < test.size(); i++) if (correct(completions.get(i), test.get(i))) right++;
        return new Score(test.size(), right);
    }

    /**
     * {@link #SAMPLES} completions of each prompt + prefix at T = 1, problem by problem, seeded per (problem, sample),
     * each returned with the prefix in front.
     */
    private static List<String> sample(Generator gen, Tokenizer tok, List<ArithmeticProblem> problems, String prefix, long seed) {
        List<String> out = new ArrayList<>(problems.size() * SAMPLES);
        int per = Math.max(1, 256 / SAMPLES);
        for (int from = 0; from < problems.size(); from += per) {
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = from; i < Math.min(problems.size(), from + per); i++) {
                int[] prompt = tok.encode(PromptFormat.prompt(problems.get(i)) + prefix);
                for (int k = 0; k < SAMPLES; k++) reqs.add(new Generator.Request(prompt, RolloutStep.sampleSeed(seed, i, k)));
            }
            for (Generator.Result r : gen.generate(reqs, new Generator.Options(MAX_NEW_TOKENS, new Sampler(1f, 1f, 0), List.of(), true), null, null)) {
                out.add(prefix + tok.decode(r.tokens(), true));
            }
        }
        return out;
    }

    /** Greedy completions of prompt + prefix, each returned with the prefix in front (end-of-text dropped). */
    private static List<String> complete(Model model, Tokenizer tok, List<ArithmeticProblem> problems, String prefix) {
        List<int[]> prompts = new ArrayList<>(problems.size());
        for (ArithmeticProblem p : problems) prompts.add(tok.encode(PromptFormat.prompt(p) + prefix));
        List<String> out = new ArrayList<>(problems.size());
        for (GreedyCompletions.Completion c : GreedyCompletions.of(model, tok, prompts, null, MAX_NEW_TOKENS, BATCH, null)) out.add(prefix + c.text());
        return out;
    }
}
