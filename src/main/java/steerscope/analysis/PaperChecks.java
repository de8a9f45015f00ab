package steerscope.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;
import steerscope.util.UserError;

/**
 * The paper's own measurements on single-layer vectors, each written as its file (docs/analysis-format.md):
 * {@code delta_p.json} (Δp per position, last-layer and penultimate vectors), {@code prefix.json} (the
 * prefix-token control), {@code circuit.json} (patching block L−1 under the penultimate vector),
 * {@code persistence.json} (Diff-Vector and Diff-Diff cosines of each single-layer vector given) and
 * {@code middle_layers.json} (the middle-layer vectors' bottom lens tokens against the distractor tokens).
 * Sampled accuracies are at T = 1 with {@link Options#k} samples per problem and 95% bootstrap intervals.
 */
public final class PaperChecks {
    /**
     * @param k samples per problem for every sampled accuracy
     * @param deltaPSequences EOS-ending steered samples teacher-forced for Δp (per vector)
     * @param klSequences steered samples teacher-forced per circuit condition for its KL
     * @param perHead also patch each query head and key/value group (and their inverses)
     * @param forwardPrompts prompts read by persistence and the attention control
     */
    public record Options(int k, int maxNewTokens, int batch, long seed, int deltaPSequences, int klSequences, boolean perHead,
                          int forwardPrompts, boolean progress) {
        public static Options defaults() {
            return new Options(4, 256, 64, 0, 64, 16, true, 32, true);
        }

        Sampled.Options sampled() {
            return new Sampled.Options(k, maxNewTokens, batch, seed);
        }
    }

    /**
     * The single-layer vectors analysed: the last layer's and the penultimate layer's (each alone in its
     * file), any others for persistence (e.g. the sweep's), the vectors whose middle layers are read for
     * claim (iii) (null: the last and penultimate ones), and the distractor token ids (null: none known).
     */
    public record Inputs(SteeringVectors last, SteeringVectors penultimate, List<SteeringVectors> others, SteeringVectors middle,
                         Set<Integer> distractors) {}

    private PaperChecks() {}

    /** The files written, in order. */
    public static final List<String> FILES = List.of("delta_p", "prefix", "circuit", "persistence", "middle_layers");

    /**
     * Runs the checks, each stage resumable: a stage whose file in outDir holds the key of this call's inputs
     * ({@link #inputsKey}) is read back, not recomputed ({@link StageFiles}); the sampled conditions the later
     * stages read are kept as stages too, in {@code outDir/paper_checks/}.
     */
    public static void run(Model model, Tokenizer tokenizer, Prompts prompts, List<Problem> problems, Inputs in, Options opt, Path outDir) {
        int L = model.config.nLayers();
        if (L < 2) throw new UserError("the paper's checks need at least 2 layers, the model has " + L);
        requireSingle(in.last(), L - 1, "last-layer");
        requireSingle(in.penultimate(), L - 2, "penultimate");
        if (problems.isEmpty()) throw new UserError("no problems to analyse");
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw UserError.inFile(outDir, "cannot create the output directory: " + e.getMessage());
        }
        List<int[]> enc = new ArrayList<>();
        for (Problem p : problems) enc.add(prompts.encode(p));
        StageFiles stages = new StageFiles(outDir, inputsKey(model, problems, enc, in, opt));
        Vocab vocab = new Vocab(tokenizer, model.config.vocabSize());
        int[] cat = TokenCategories.ofVocab(vocab);
        Sampled.Options so = opt.sampled();
        Progress progress = opt.progress() ? new Progress("paper checks", 5, 0) : null;

        // the sampled conditions, each sampled at most once (and not at all when every stage that reads it is done)
        Supplier<Sampled.Result> base = memo(() -> stages.sampled(SAMPLES_DIR + "/base.json", () -> Sampled.run(model, tokenizer, problems, enc, null, null, so)));
        Supplier<Sampled.Result> last = memo(() -> stages.sampled(SAMPLES_DIR + "/last.json", () -> Sampled.run(model, tokenizer, problems, enc, Steering.of(in.last()), null, so)));
        Supplier<Sampled.Result> pen = memo(() -> stages.sampled(SAMPLES_DIR + "/penultimate.json",
                () -> Sampled.run(model, tokenizer, problems, enc, Steering.of(in.penultimate()), null, so)));

        Map<String, Object> deltaP = stages.get("delta_p.json", () -> {
            long t = System.nanoTime();
            Map<String, Object> dpLast = DeltaP.analyse(model.transformer, vocab, cat, enc, last.get().samples(), Steering.of(in.last()), null, opt.deltaPSequences(), opt.seed());
            Map<String, Object> dpPen = DeltaP.analyse(model.transformer, vocab, cat, enc, pen.get().samples(), Steering.of(in.penultimate()), null, opt.deltaPSequences(), opt.seed());
            dpLast.put("layer", L - 1);
            dpPen.put("layer", L - 2);
            dpLast.put("accuracy", last.get().json());
            dpPen.put("accuracy", pen.get().json());
            dpLast.put("gain_over_base", Out.interval(Bootstrap.meanDiff(last.get().perProblem(), base.get().perProblem(), opt.seed())));
            dpPen.put("gain_over_base", Out.interval(Bootstrap.meanDiff(pen.get().perProblem(), base.get().perProblem(), opt.seed())));
            return Out.map("k", opt.k(), "temperature", 1.0, "n_problems", problems.size(), "base", base.get().json(),
                    "last", dpLast, "penultimate", dpPen, "seconds", seconds(t));
        });
        step(progress, 1, "delta_p");

        stages.get("prefix.json", () -> {
            long t = System.nanoTime();
            Map<?, ?> dpLast = (Map<?, ?>) deltaP.get("last");
            List<?> boosted = (List<?>) dpLast.get("pos0_boosted");
            Map<String, Object> prefix;
            if (((Number) dpLast.get("n_sequences")).intValue() == 0 || boosted.isEmpty()) {
                prefix = Out.map("token", null, "fraction", null, "fraction_reason", "no completion of the last-layer vector ended with end-of-sequence, so no Δp at pos 0");
            } else {
                int token = ((Number) ((Map<?, ?>) boosted.get(0)).get("id")).intValue();
                prefix = PrefixControl.analyse(model, tokenizer, vocab, problems, enc, token, base.get(), last.get(), so);
            }
            prefix.put("seconds", seconds(t));
            return prefix;
        });
        step(progress, 2, "prefix");

        stages.get("circuit.json", () -> {
            long t = System.nanoTime();
            Map<String, Object> circuit = Circuit.analyse(model, tokenizer, problems, enc, in.penultimate(), pen.get(), base.get(), so, opt.klSequences(), opt.perHead(), opt.batch());
            circuit.put("seconds", seconds(t));
            return circuit;
        });
        step(progress, 3, "circuit");

        List<SteeringVectors> all = new ArrayList<>(List.of(in.penultimate(), in.last()));
        if (in.others() != null) all.addAll(in.others());
        stages.get("persistence.json", () -> {
            long t = System.nanoTime();
            List<int[]> forward = enc.subList(0, Math.min(enc.size(), Math.max(1, opt.forwardPrompts())));
            List<Object> persistence = new ArrayList<>();
            for (SteeringVectors v : all) persistence.add(Persistence.analyse(model.transformer, forward, v, opt.batch(), opt.seed()));
            return Out.map("vectors", persistence, "seconds", seconds(t));
        });
        step(progress, 4, "persistence");

        stages.get("middle_layers.json", () -> {
            long t = System.nanoTime();
            Lens lens = new Lens(model.weights);
            SteeringVectors middle = in.middle() != null ? in.middle() : merged(all, L, model.config.hiddenSize());
            Map<String, Object> mid = MiddleLayers.analyse(lens, vocab, middle, L, in.distractors(), opt.seed());
            mid.put("seconds", seconds(t));
            return mid;
        });
        step(progress, 5, "middle_layers");
    }

    /** Where the sampled conditions (base, last, penultimate) are kept between runs. */
    static final String SAMPLES_DIR = "paper_checks";

    /** The key of everything the checks read: the model, the problems and their encoded prompts, the vectors, the distractors, the options. */
    static String inputsKey(Model model, List<Problem> problems, List<int[]> enc, Inputs in, Options opt) {
        List<String> qa = new ArrayList<>();
        for (Problem p : problems) qa.add(p.question() + "\u0000" + p.answer());
        return StageFiles.key("paper checks v1", StageFiles.modelKey(model), qa, enc, in.last(), in.penultimate(),
                in.others() == null ? List.of() : in.others(), in.middle(),
                in.distractors() == null ? "none" : new TreeSet<>(in.distractors()).toString(),
                List.of(opt.k(), opt.maxNewTokens(), opt.batch(), opt.seed(), opt.deltaPSequences(), opt.klSequences(), opt.perHead(), opt.forwardPrompts()));
    }

    /** Computes at most once, when first asked. */
    private static <T> Supplier<T> memo(Supplier<T> f) {
        return new Supplier<>() {
            private T value;

            @Override
            public T get() {
                if (value == null) value = f.get();
                return value;
            }
        };
    }

    /** One vector per layer from single-layer vectors (the first given for a layer wins). */
    private static SteeringVectors merged(List<SteeringVectors> singles, int L, int d) {
        TreeSet<Integer> layers = new TreeSet<>();
        for (SteeringVectors v : singles) for (int l : v.layers()) layers.add(l);
        SteeringVectors out = SteeringVectors.zeros(L, d, layers.stream().mapToInt(Integer::intValue).toArray());
        Set<Integer> done = new HashSet<>();
        for (SteeringVectors v : singles) for (int l : v.layers()) if (done.add(l)) System.arraycopy(v.get(l), 0, out.get(l), 0, d);
        return out;
    }

    private static void requireSingle(SteeringVectors v, int layer, String what) {
        if (v == null) throw new UserError("the " + what + " vector is missing");
        if (v.layers().length != 1 || v.layers()[0] != layer) {
            throw new UserError("the " + what + " vectors file must hold one vector, on layer " + layer + "; it has layers " + Arrays.toString(v.layers()));
        }
    }

    private static double seconds(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e6) / 1e3;
    }

    private static void step(Progress p, int done, String what) {
        if (p != null) p.update(done, what);
    }
}
