package steerscope.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.analysis.Analysis;
import steerscope.analysis.AnalysisResult;
import steerscope.analysis.DistractorTokens;
import steerscope.analysis.PaperChecks;
import steerscope.analysis.Sampled;
import steerscope.analysis.SingleLayer;
import steerscope.io.AtomicFiles;
import steerscope.io.FileTrees;
import steerscope.io.Json;
import steerscope.model.Checkpoint;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.organism.OrganismConfig;
import steerscope.organism.OrganismTrainer;
import steerscope.report.ReportWriter;
import steerscope.rl.Evaluator;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.Trainer;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.rl.reward.Reward;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;
import steerscope.task.synth.ArithmeticProblem;
import steerscope.task.synth.HeldOutSplit;
import steerscope.task.synth.JsonlExport;
import steerscope.tensor.Kernels;
import steerscope.tensor.Parallel;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * The paper, end to end, on the model organism: pretrain (or load the cached) organism, evaluate it, train
 * steering vectors with RL, train the full fine-tune baseline with the same recipe, data and rollouts,
 * evaluate both, analyse, and write {@code summary.json} and {@code report.html}.
 *
 * <p>Both methods use the paper preset ({@link RlConfig#paper}) with the same training prompts, step count and
 * rollout seeds; only the trainable parameters and the learning rate differ ({@link #VECTORS_LR}, {@link #FULL_LR}).
 * Every accuracy is the sampled mean at T = 1 and greedy pass@1, with 95% bootstrap intervals ({@link Accuracies});
 * measured results live in the generated docs/demo-sweep*.md, not here. {@code --quick} uses the quick organism,
 * 12 RL steps, 100 test problems and 8 samples per problem.
 */
public final class Demo {
    /**
     * The demo's sizes: the full run and {@code --quick}; {@code organismSeed} null keeps the organism config's own
     * seed.
     */
    public record Options(Path out, boolean quick, long seed, Long organismSeed, Path cacheDir,
                          Double vectorsLrOverride, Double fullLrOverride, Integer rlStepsOverride, boolean analyses,
                          List<String> organismOverrides) {
        public Options(Path out, boolean quick, long seed, Long organismSeed, Path cacheDir) {
            this(out, quick, seed, organismSeed, cacheDir, null, null, null, true, List.of());
        }

        /**
         * RL steps of every run: 60 on the full organism, where both methods were still rising at 30 (the runs
         * d-lr1-s60, l-s60-seed1 and l-s60-o2 of docs/demo-sweep.md against their 30-step twins); 12 with --quick.
         */
        int rlSteps() {
            return rlStepsOverride != null ? rlStepsOverride : quick ? 12 : 60;
        }

        double vectorsLr() {
            return vectorsLrOverride != null ? vectorsLrOverride : quick ? QUICK_VECTORS_LR : VECTORS_LR;
        }

        double fullLr() {
            return fullLrOverride != null ? fullLrOverride : FULL_LR;
        }

        int testProblems() {
            return quick ? 100 : 200;
        }

        /** Samples per test problem for the sampled mean accuracy (the paper's avg@K at T = 1). */
        int samples() {
            return quick ? 8 : 16;
        }

        OrganismConfig organism() {
            OrganismConfig c = quick ? OrganismConfig.quick() : OrganismConfig.defaults();
            List<String> overrides = new ArrayList<>(organismOverrides);
            if (organismSeed != null) overrides.add("seed=" + organismSeed);
            return overrides.isEmpty() ? c : c.with(overrides);
        }
    }

    /**
     * The learning rates of the two methods on the organism. The paper's 1e-3 (vectors) and 1e-6 (full) are for
     * 1.5B-parameter models; a 6-layer model of width 64 moves far less per unit of lr. Chosen by the sweeps in
     * docs/demo-sweep.md and docs/demo-sweep-quick.md ({@code scripts/demo-sweep lr}, at 30 steps): the full fine-tune's
     * best; for the vectors 1e-1 on the full organism (the best measured there, stable over its steps) and 3e-2 on
     * the quick one (where 1e-1 collapsed below the base).
     */
    static final double VECTORS_LR = 1e-1, QUICK_VECTORS_LR = 3e-2, FULL_LR = 3e-4;
    /** A depth-5 step-by-step answer is about 65 tokens; 96 leaves room and keeps rollouts short. */
    static final int MAX_NEW_TOKENS = 96;

    private final Options opt;
    private final Map<String, Double> stageSeconds = new LinkedHashMap<>();
    private long stageStart;

    public Demo(Options opt) {
        this.opt = opt;
    }

    private void stage(String name) {
        System.err.println("== " + name);
        stageStart = System.nanoTime();
    }

    private void endStage(String name) {
        stageSeconds.put(name, (System.nanoTime() - stageStart) / 1e9);
    }

    public Map<String, Object> run() {
        Path out = opt.out().toAbsolutePath();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw UserError.inFile(out, "cannot create the output directory: " + e.getMessage());
        }

        // 1. the organism
        stage("1/6 organism");
        OrganismConfig oc = opt.organism();
        Path organismDir = opt.cacheDir().resolve("organism-" + oc.key());
        if (!Files.isRegularFile(organismDir.resolve("organism.json"))) {
            OrganismTrainer.train(oc, organismDir, line -> System.err.println(line));
        } else {
            System.err.println("using the cached organism in " + organismDir);
        }
        endStage("organism");

        try (Checkpoint organism = Checkpoint.open(organismDir)) {
            Model base = organism.model();
            Tokenizer tok = organism.tokenizer();
            Prompts prompts = new Prompts(tok, new PromptTemplate("{question}"), organism.chat());

            // the data: RL prompts from the training split, evaluation on the held-out split
            HeldOutSplit split = new HeldOutSplit(oc.task());
            int trainN = opt.rlSteps() * 16 * 2;
            List<ArithmeticProblem> trainProblems = split.trainStream(opt.seed() + 101).filter(p -> p.depth() >= 2).limit(trainN).toList();
            List<ArithmeticProblem> testProblems = split.testSet(opt.testProblems(), opt.seed() + 202);
            JsonlExport.write(out.resolve("data/train.jsonl"), trainProblems);
            JsonlExport.write(out.resolve("data/test.jsonl"), testProblems);
            List<Problem> train = Dataset.load(out.resolve("data/train.jsonl"));
            List<Problem> test = Dataset.load(out.resolve("data/test.jsonl"));
            Evaluator.Options evalOpt = new Evaluator.Options(opt.samples(), 1f, MAX_NEW_TOKENS, opt.seed(), 64);

            // 2. base
            stage("2/6 evaluate the base model");
            Evaluator baseEval = new Evaluator(base, tok, prompts);
            Evaluator.Result baseResult = baseEval.evaluate(test, null, evalOpt, true);
            Evaluator.write(baseResult, out.resolve("eval/base.jsonl"));
            endStage("eval_base");

            RlConfig vcfg = recipe(RlConfig.Params.VECTORS, opt.vectorsLr());
            RlConfig fcfg = recipe(RlConfig.Params.FULL, opt.fullLr());
            Reward correct = CorrectnessReward.of(vcfg.boxedOnly(), vcfg.negReward());
            Map<String, String> provenance = Map.of("base_model", "steerscope organism " + oc.key(), "model_type", base.config.modelType());

            // 3. the RL runs, side by side on a machine with no more cores than runs (each is independent of the others)
            boolean singleLayers = opt.analyses() && !opt.quick(); // the quick demo's 4-minute budget has no room for them
            List<Problem> analysisProblems = test.subList(0, Math.min(test.size(), opt.quick() ? 32 : 64));
            SingleLayer.Setup singleLayerSetup = new SingleLayer.Setup(base, tok, prompts, train, analysisProblems, vcfg, correct,
                    new Sampled.Options(PAPER_CHECK_SAMPLES, MAX_NEW_TOKENS, 64, opt.seed()));
            stage("3/6 RL: steering vectors (all layers), the full fine-tune baseline (same recipe, data and rollouts)"
                    + (singleLayers ? ", and vectors on the middle, penultimate and last layer alone" : ""));
            Policy vpolicy = Policy.ofVectors(base, SteeringVectors.zeros(base.config.nLayers(), base.config.hiddenSize(), null), tok, prompts);
            Model trainable = base.withWeights(base.weights.trainableCopy());
            Policy fpolicy = Policy.ofFullWeights(base, trainable, tok, prompts);
            deleteRun(out.resolve("runs/vectors"));
            deleteRun(out.resolve("runs/full"));
            List<Runnable> rl = new ArrayList<>(); // longest first
            rl.add(() -> new Trainer(fcfg, fpolicy, train, correct, correct, out.resolve("runs/full"), provenance).run(false));
            rl.add(() -> new Trainer(vcfg, vpolicy, train, correct, correct, out.resolve("runs/vectors"), provenance).run(false));
            if (singleLayers) {
                for (int l : singleLayers(base.config.nLayers())) {
                    rl.add(() -> SingleLayer.train(singleLayerSetup, l, out.resolve("runs/single_layer/layer-" + l)));
                }
            }
            Parallel.sideBySide(rl);
            endStage("rl_training");

            // 4. evaluate both
            stage("4/6 evaluate vectors and full fine-tune");
            Steering steering = Steering.of(vpolicy.vectors);
            Evaluator.Result[] trained = new Evaluator.Result[2];
            Parallel.sideBySide(List.of(
                    () -> trained[0] = baseEval.evaluate(test, steering, evalOpt, true),
                    () -> trained[1] = new Evaluator(trainable, tok, prompts).evaluate(test, null, evalOpt, true)));
            Evaluator.Result vecResult = trained[0], fullResult = trained[1];
            Evaluator.write(vecResult, out.resolve("eval/vectors.jsonl"));
            Evaluator.write(fullResult, out.resolve("eval/full.jsonl"));
            endStage("eval_trained");

            // 5. the analyses, on the base model and the trained vectors
            AnalysisResult analysis = null;
            if (opt.analyses()) {
                stage("5/6 mechanistic analyses");
                analysis = Analysis.run(base, tok, prompts, vpolicy.vectors, analysisProblems,
                        new Analysis.Options(MAX_NEW_TOKENS, 32, opt.quick() ? 16 : 32, 8, true), out);
                endStage("analysis");
                if (singleLayers) {
                    stage("5b/6 the paper's checks on the single-layer vectors (middle, penultimate, last)");
                    paperChecks(singleLayerSetup, organismDir, out);
                    endStage("paper_checks");
                }
            }

            // 6. summary
            stage("6/6 summary");
            Path vectorsFile = out.resolve("runs/vectors/vectors.safetensors");
            Map<String, Object> s = new LinkedHashMap<>(Accuracies.summarise(baseResult, vecResult, fullResult));
            s.put("n_test", test.size());
            s.put("training", Map.of("vectors", Accuracies.trainingCurve(out.resolve("runs/vectors/metrics.jsonl")),
                    "full", Accuracies.trainingCurve(out.resolve("runs/full/metrics.jsonl"))));
            s.put("targets", Accuracies.targets(s));
            s.put("organism", organismDir.toString());
            s.put("organism_key", oc.key());
            s.put("vectors_file", vectorsFile.toString());
            s.put("trainable_parameters", Map.of("vectors", vpolicy.vectors.parameterCount(), "full", base.config.parameterCount()));
            s.put("first_token", Map.of("base", firstTokens(base, tok, prompts, test, null),
                    "steered", firstTokens(base, tok, prompts, test, steering)));
            if (analysis != null) s.put("analysis", analysis.toSummaryJson());
            s.put("seeds", Map.of("demo", opt.seed(), "organism", oc.seed(), "rl", vcfg.seed()));
            s.put("recipe", Map.of("vectors", vcfg, "full", fcfg));
            s.put("runs", Map.of("vectors", out.resolve("runs/vectors").toString(), "full", out.resolve("runs/full").toString()));
            s.put("stage_seconds", stageSeconds);
            endStage("summary");
            AtomicFiles.writeString(out.resolve("summary.json"), Json.writePretty(s));
            if (opt.analyses()) ReportWriter.write(out, out.resolve("report.html"));
            printTable(s, out);
            return s;
        }
    }

    /** The layers the paper's checks train a vector on alone: middle, penultimate and last. */
    static int[] singleLayers(int layers) {
        return new int[] {layers / 2 - 1, layers - 2, layers - 1};
    }

    /** Samples per problem in the paper's checks' evaluations (K at T = 1). */
    private static final int PAPER_CHECK_SAMPLES = 4;

    /**
     * The paper analyses vectors trained alone on one layer: the middle, penultimate and last layers' (the demo's
     * recipe, one layer each, trained in the RL stage and read back here; {@code single_layer.json}), and runs the
     * paper's checks on them ({@code delta_p.json}, {@code prefix.json}, {@code circuit.json},
     * {@code persistence.json}, {@code middle_layers.json}), which {@code verdicts.json} reads.
     */
    private void paperChecks(SingleLayer.Setup setup, Path organismDir, Path out) {
        List<SingleLayer.Run> runs = SingleLayer.sweep(setup, singleLayers(setup.model().config.nLayers()), out.resolve("runs/single_layer"), out);
        SteeringVectors mid = runs.get(0).vectors(), pen = runs.get(1).vectors(), last = runs.get(2).vectors();
        PaperChecks.run(setup.model(), setup.tokenizer(), setup.prompts(), setup.test(),
                new PaperChecks.Inputs(last, pen, List.of(mid), mid, DistractorTokens.nextToModel(organismDir)),
                new PaperChecks.Options(PAPER_CHECK_SAMPLES, MAX_NEW_TOKENS, 64, opt.seed(), 64, 16, false, 32, true), out);
    }

    /** The paper's recipe (RLOO, 16 x 16, T = 1, no std, no clip, no KL) at the organism's scale. */
    RlConfig recipe(RlConfig.Params params, double lr) {
        return RlConfig.paper(params).toBuilder().steps(opt.rlSteps()).lr(lr).maxNewTokens(MAX_NEW_TOKENS).checkpointEvery(5)
                .microBatch(32).seed(opt.seed()).build();
    }

    /**
     * The ten most likely first generated tokens, averaged over the test prompts, with probabilities: where
     * the paper sees the last-layer vector substitute "To"/"Step" for a direct answer.
     */
    static List<Map<String, Object>> firstTokens(Model m, Tokenizer tok, Prompts prompts, List<Problem> problems, Steering steering) {
        int V = m.config.vocabSize();
        double[] mean = new double[V];
        int n = Math.min(problems.size(), 100);
        Transformer tf = m.transformer;
        for (int i = 0; i < n; i++) {
            float[] logits = tf.nextTokenLogits(prompts.encode(problems.get(i)), steering);
            Kernels.softmax(logits, 0, V);
            for (int v = 0; v < V; v++) mean[v] += logits[v] / n;
        }
        Integer[] order = new Integer[V];
        for (int v = 0; v < V; v++) order[v] = v;
        Arrays.sort(order, (a, b) -> Double.compare(mean[b], mean[a]));
        List<Map<String, Object>> out = new ArrayList<>();
        for (int r = 0; r < 10; r++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", order[r]);
            e.put("text", tok.decode(new int[] {order[r]}));
            e.put("value", mean[order[r]]);
            out.add(e);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private void printTable(Map<String, Object> s, Path out) {
        Map<String, Object> acc = (Map<String, Object>) s.get("accuracy");
        Map<String, Integer> tp = (Map<String, Integer>) (Map<String, ?>) s.get("trainable_parameters");
        System.out.println();
        System.out.printf(Locale.ROOT, "%-26s %-26s %-26s %12s%n", "method", "sampled mean (T=1) [95% CI]", "greedy pass@1 [95% CI]", "trainable");
        row("base organism", (Map<String, Object>) acc.get("base"), "-");
        row("steering vectors (RLOO)", (Map<String, Object>) acc.get("vectors"), String.format(Locale.ROOT, "%,d", tp.get("vectors")));
        row("full fine-tune (RLOO)", (Map<String, Object>) acc.get("full"), String.format(Locale.ROOT, "%,d", tp.get("full")));
        Double rec = (Double) s.get("recovered_fraction");
        if (rec == null) {
            System.out.println("recovered fraction of the fine-tune's gain: " + s.get("recovered_fraction_reason"));
        } else {
            double[] ci = (double[]) s.get("recovered_fraction_ci");
            System.out.printf(Locale.ROOT, "recovered fraction of the fine-tune's gain (sampled mean): %.2f [%.2f, %.2f]%n", rec, ci[0], ci[1]);
        }
        for (Map<String, Object> t : (List<Map<String, Object>>) s.get("targets")) {
            double[] ci = (double[]) t.get("ci");
            System.out.printf(Locale.ROOT, "target %-4s %s: %.3f%s (threshold %.3f)%n", (boolean) t.get("met") ? "MET" : "MISS", t.get("name"),
                    (double) t.get("value"), ci == null ? "" : String.format(Locale.ROOT, " [%.3f, %.3f]", ci[0], ci[1]), (double) t.get("threshold"));
        }
        List<Map<String, Object>> baseFirst = (List<Map<String, Object>>) ((Map<String, Object>) s.get("first_token")).get("base");
        List<Map<String, Object>> steeredFirst = (List<Map<String, Object>>) ((Map<String, Object>) s.get("first_token")).get("steered");
        System.out.println("first generated token, base -> steered:");
        for (int i = 0; i < 5; i++) {
            System.out.printf(Locale.ROOT, "  %-14s %5.1f%%   ->   %-14s %5.1f%%%n", Json.write(baseFirst.get(i).get("text")),
                    100 * (double) baseFirst.get(i).get("value"), Json.write(steeredFirst.get(i).get("text")), 100 * (double) steeredFirst.get(i).get("value"));
        }
        System.out.println("summary: " + out.resolve("summary.json"));
        System.out.println("report:  " + out.resolve("report.html"));
    }

    private static void row(String name, Map<String, Object> a, String trainable) {
        double[] sc = (double[]) a.get("sampled_ci"), gc = (double[]) a.get("greedy_ci");
        System.out.printf(Locale.ROOT, "%-26s %5.1f%% [%5.1f, %5.1f]      %5.1f%% [%5.1f, %5.1f]      %12s%n", name,
                100 * (double) a.get("sampled_mean"), 100 * sc[0], 100 * sc[1], 100 * (double) a.get("greedy"), 100 * gc[0], 100 * gc[1], trainable);
    }

    private static void deleteRun(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw UserError.inFile(dir, "cannot clear the previous run: " + e.getMessage());
        }
    }
}
