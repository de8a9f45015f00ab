package steerscope.analysis;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.IoErrors;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.task.Problem;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * Runs the seven analyses of what a set of steering vectors does, on real forward passes of the model, and
 * writes their files (docs/analysis-format.md) into a directory: logit_lens_vectors, logit_lens_resid,
 * ablations, path_patching, attention_vs_mlp, token_categories, neurons, samples, and analysis.json with all
 * of them. "Steered" means every vector at every position (scale 1), "base" no vectors.
 *
 * <p>Greedy generation (accuracy, samples, token frequencies, the later-token lens) uses every problem given;
 * the forward-only analyses use the first {@link Options#forwardPrompts} prompts.
 *
 * <p>Each analysis is split in two: what a share of the problems measures (sums, counts, per-problem
 * records: {@link Measurements}) and the averaging, ranking and writing done once on the merged
 * measurements. On one machine every problem is one share; on Spark the shares run on executors.
 */
public final class Analysis {
    /**
     * @param maxNewTokens greedy completion budget
     * @param batch prompts per forward / generation batch
     * @param forwardPrompts how many prompts the forward-only analyses (lenses, path patching, attention, neurons) read
     * @param laterPositions generated positions per completion read by the later-token residual lens
     * @param progress show progress bars on stderr
     */
    public record Options(int maxNewTokens, int batch, int forwardPrompts, int laterPositions, boolean progress) implements Serializable {
        public static Options defaults() {
            return new Options(256, 16, 32, 8, true);
        }
    }

    /** Files written, in order. */
    public static final List<String> FILES = List.of("logit_lens_vectors", "logit_lens_resid", "ablations", "path_patching",
            "attention_vs_mlp", "token_categories", "neurons", "samples");

    static final int TRACKED = 10;

    /**
     * Where the per-problem work runs: in this JVM ({@link #local}), or split across Spark executors
     * ({@code steerscope.spark.SparkAnalysis}). Either way the merged {@link Measurements} of every share.
     */
    public interface Shares {
        /** Pass 1 over all the problems ({@link Measurements#ofProblems}), merged. */
        Measurements measure(List<Problem> problems);

        /** Pass 2 over the forward prompts ({@link Measurements#ofPaths}), merged. */
        Measurements patch(List<Problem> forward, int[][] boosted);
    }

    private Analysis() {}

    public static AnalysisResult run(Model model, Tokenizer tokenizer, Prompts prompts, SteeringVectors vectors,
                                     List<Problem> problems, Options opt, Path outDir) {
        Setup s = new Setup(model, tokenizer, prompts, vectors, opt);
        return run(s, problems, outDir, local(s));
    }

    /** Every problem as one share, here. */
    public static Shares local(Setup s) {
        return new Shares() {
            @Override
            public Measurements measure(List<Problem> problems) {
                return Measurements.ofProblems(s, problems, 0);
            }

            @Override
            public Measurements patch(List<Problem> forward, int[][] boosted) {
                return Measurements.ofPaths(s, forward, boosted);
            }
        };
    }

    /** Measures with the given shares, then averages, ranks and writes the files from the merged measurements here. */
    public static AnalysisResult run(Setup s, List<Problem> problems, Path outDir, Shares shares) {
        if (problems.isEmpty()) throw new UserError("no problems to analyse");
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw UserError.inFile(outDir, "cannot create the output directory: " + IoErrors.describe(e));
        }
        Measurements m = shares.measure(problems);
        List<Problem> forward = problems.subList(0, Math.min(problems.size(), s.forwardLimit()));
        int[][] boosted = m.boosted(s);
        Measurements paths = shares.patch(forward, boosted);
        List<Completions.Completion> base = m.base(), steered = m.steered();
        if (base.size() != problems.size() || steered.size() != problems.size()) {
            throw new IllegalStateException("measured " + base.size() + " of " + problems.size() + " problems");
        }

        Map<String, Object> results = new LinkedHashMap<>();
        Measurements.Timer t = new Measurements.Timer();
        results.put("logit_lens_vectors", VectorLens.analyse(s.lens, s.vocab, s.vectors, ResidualStats.of(m.baseStats), ResidualStats.of(m.steeredStats)));
        t.lap("logit_lens_vectors");
        results.put("logit_lens_resid", ResidualLens.finish(s.vocab, s.tracked, s.lastLens, m.residualLens));
        t.lap("logit_lens_resid");
        Map<String, Object> ablations = Ablations.finish(s.all, m.ablations);
        results.put("ablations", ablations);
        t.lap("ablations");
        Map<String, Object> pathMap = PathPatching.finish(s.tf.config.nLayers(), s.vocab, s.all, m.pathTotals, boosted, paths.paths);
        results.put("path_patching", pathMap);
        t.lap("path_patching");
        Map<String, Object> attn = AttentionMlp.finish(m.attention);
        results.put("attention_vs_mlp", attn);
        t.lap("attention_vs_mlp");
        results.put("token_categories", TokenCategories.analyse(s.lens, s.vocab, s.vectors, base, steered));
        t.lap("token_categories");
        results.put("neurons", NeuronAttribution.finish(s.tf, s.vocab, s.tracked, m.neurons));
        t.lap("neurons");
        results.put("samples", Samples.of(problems, base, steered));

        Map<String, Object> everything = new LinkedHashMap<>(results);
        everything.put("stage_seconds", seconds(m, paths, t));
        // analysis.json first: a directory holding it is an analysis that the same command may write into again,
        // also when a kill lands between the files
        Out.write(outDir, "analysis.json", everything);
        for (String name : FILES) Out.write(outDir, name + ".json", results.get(name));

        List<String> topTexts = new ArrayList<>();
        for (int id : s.tracked) topTexts.add(s.vocab.text(id));
        List<AnalysisResult.PathShare> pathShares = new ArrayList<>();
        for (Object o : (List<?>) pathMap.get("layers")) {
            Map<?, ?> layer = (Map<?, ?>) o;
            Map<?, ?> sh = (Map<?, ?>) layer.get("shares");
            pathShares.add(new AnalysisResult.PathShare((Integer) layer.get("layer"), orNaN(sh.get("direct")), orNaN(sh.get("attention")), orNaN(sh.get("mlp"))));
        }
        return new AnalysisResult(topTexts, orNaN(ablations.get("first_token_only_recovery")), orNaN(attn.get("penultimate_attention_js")),
                orNaN(attn.get("penultimate_mlp_change")), pathShares, Completions.accuracy(base), Completions.accuracy(steered));
    }

    /** Seconds per stage: the shares' own (summed over executors on Spark) plus this JVM's finishing work. */
    private static Map<String, Double> seconds(Measurements m, Measurements paths, Measurements.Timer finish) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < Measurements.STAGES.size(); i++) {
            double sec = m.seconds[i] + paths.seconds[i] + finish.seconds[i];
            out.put(Measurements.STAGES.get(i), Double.parseDouble(String.format(Locale.ROOT, "%.3f", sec)));
        }
        return out;
    }

    private static double orNaN(Object x) {
        return x instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
