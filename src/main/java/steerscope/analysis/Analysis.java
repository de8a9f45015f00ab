package steerscope.analysis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.model.Model;
import steerscope.model.Transformer;
import steerscope.rl.Prompts;
import steerscope.steer.Steering;
import steerscope.steer.SteeringVectors;
import steerscope.task.Problem;
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
 */
public final class Analysis {
    /**
     * @param maxNewTokens greedy completion budget
     * @param batch prompts per forward / generation batch
     * @param forwardPrompts how many prompts the forward-only analyses (lenses, path patching, attention, neurons) read
     * @param laterPositions generated positions per completion read by the later-token residual lens
     * @param progress show progress bars on stderr
     */
    public record Options(int maxNewTokens, int batch, int forwardPrompts, int laterPositions, boolean progress) {
        public static Options defaults() {
            return new Options(256, 16, 32, 8, true);
        }
    }

    /** Files written, in order. */
    public static final List<String> FILES = List.of("logit_lens_vectors", "logit_lens_resid", "ablations", "path_patching",
            "attention_vs_mlp", "token_categories", "neurons", "samples");

    static final int TRACKED = 10;

    private Analysis() {}

    public static AnalysisResult run(Model model, Tokenizer tokenizer, Prompts prompts, SteeringVectors vectors,
                                     List<Problem> problems, Options opt, Path outDir) {
        Transformer tf = model.transformer;
        if (vectors.nLayers() != model.config.nLayers() || vectors.dModel() != model.config.hiddenSize()) {
            throw new UserError("vectors are for n_layers=" + vectors.nLayers() + ", d_model=" + vectors.dModel() + "; the model has n_layers="
                    + model.config.nLayers() + ", d_model=" + model.config.hiddenSize());
        }
        if (vectors.layers().length == 0) throw new UserError("the vectors file has no vector on any layer: nothing to analyse");
        if (problems.isEmpty()) throw new UserError("no problems to analyse");
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw UserError.inFile(outDir, "cannot create the output directory: " + e.getMessage());
        }
        Steering all = Steering.of(vectors);
        Vocab vocab = new Vocab(tokenizer, model.config.vocabSize());
        Lens lens = new Lens(model.weights);
        List<int[]> ids = new ArrayList<>();
        for (Problem p : problems) ids.add(prompts.encode(p));
        List<int[]> fwd = ids.subList(0, Math.min(ids.size(), Math.max(1, opt.forwardPrompts())));
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        Timer t = new Timer(seconds);

        var base = Completions.greedy(model, tokenizer, problems, ids, null, opt.maxNewTokens(), opt.batch(), "generate base", opt.progress());
        var steered = Completions.greedy(model, tokenizer, problems, ids, all, opt.maxNewTokens(), opt.batch(), "generate steered", opt.progress());
        t.lap("generate");

        ResidualStats baseStats = ResidualStats.measure(tf, fwd, null, opt.batch());
        ResidualStats steeredStats = ResidualStats.measure(tf, fwd, all, opt.batch());
        results.put("logit_lens_vectors", VectorLens.analyse(lens, vocab, vectors, baseStats, steeredStats));
        int[] last = vectors.layers();
        float[] lastLens = lens.ofDirection(vectors.get(last[last.length - 1]));
        int[] tracked = vocab.top(lastLens, 0, TRACKED, true);
        t.lap("logit_lens_vectors");

        List<int[]> steeredTokens = steered.subList(0, fwd.size()).stream().map(Completions.Completion::tokens).toList();
        results.put("logit_lens_resid", ResidualLens.analyse(tf, lens, vocab, tracked, lastLens, fwd, steeredTokens, all,
                opt.laterPositions(), opt.batch()));
        t.lap("logit_lens_resid");

        Map<String, Object> ablations = Ablations.analyse(model, tokenizer, problems, ids, all, base, steered, opt.maxNewTokens(),
                opt.batch(), opt.progress());
        results.put("ablations", ablations);
        t.lap("ablations");

        Map<String, Object> paths = PathPatching.analyse(tf, vocab, fwd, all, opt.batch(), opt.progress());
        results.put("path_patching", paths);
        t.lap("path_patching");

        // attention patterns are [B, H, T, T] per layer: keep batches small
        Map<String, Object> attn = AttentionMlp.analyse(tf, fwd, all, Math.min(opt.batch(), 4));
        results.put("attention_vs_mlp", attn);
        t.lap("attention_vs_mlp");

        results.put("token_categories", TokenCategories.analyse(lens, vocab, vectors, base, steered));
        t.lap("token_categories");
        results.put("neurons", NeuronAttribution.analyse(tf, vocab, tracked, fwd, all, opt.batch()));
        t.lap("neurons");
        results.put("samples", Samples.of(problems, base, steered));

        for (String name : FILES) Out.write(outDir, name + ".json", results.get(name));
        Map<String, Object> everything = new LinkedHashMap<>(results);
        everything.put("stage_seconds", seconds);
        Out.write(outDir, "analysis.json", everything);

        List<String> topTexts = new ArrayList<>();
        for (int id : tracked) topTexts.add(vocab.text(id));
        List<AnalysisResult.PathShare> shares = new ArrayList<>();
        for (Object o : (List<?>) paths.get("layers")) {
            Map<?, ?> layer = (Map<?, ?>) o;
            Map<?, ?> s = (Map<?, ?>) layer.get("shares");
            shares.add(new AnalysisResult.PathShare((Integer) layer.get("layer"), orNaN(s.get("direct")), orNaN(s.get("attention")), orNaN(s.get("mlp"))));
        }
        return new AnalysisResult(topTexts, orNaN(ablations.get("first_token_only_recovery")), orNaN(attn.get("penultimate_attention_js")),
                orNaN(attn.get("penultimate_mlp_change")), shares, Completions.accuracy(base), Completions.accuracy(steered));
    }

    private static double orNaN(Object x) {
        return x instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Seconds per stage, for analysis.json. */
    private static final class Timer {
        private final Map<String, Double> seconds;
        private long last = System.nanoTime();

        Timer(Map<String, Double> seconds) {
            this.seconds = seconds;
        }

        void lap(String stage) {
            long now = System.nanoTime();
            seconds.put(stage, Double.parseDouble(String.format(Locale.ROOT, "%.3f", (now - last) / 1e9)));
            last = now;
        }
    }
}
