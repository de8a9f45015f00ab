package steerscope.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.analysis.Analysis;
import steerscope.analysis.AnalysisResult;
import steerscope.analysis.DistractorTokens;
import steerscope.analysis.PaperChecks;
import steerscope.analysis.Sampled;
import steerscope.analysis.Setup;
import steerscope.analysis.SingleLayer;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.report.ReportWriter;
import steerscope.rl.RlConfig;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.spark.ModelSpec;
import steerscope.spark.SparkCommands;
import steerscope.steer.SteeringVectors;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

@Command(name = "analyze", description = "Read what steering vectors do: logit lens, ablations, path patching, attention vs MLP, "
        + "token categories, neurons. Writes the JSON files of docs/analysis-format.md into --out.")
final class AnalyzeCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Option(names = "--vectors", required = true, paramLabel = "FILE", description = "Steering vectors (steerscope safetensors or llama.cpp GGUF).") Path vectors;
    @Mixin(name = "data") DataOptions dataOptions;
    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--limit", defaultValue = "64", description = "Problems used (greedy accuracy of every ablation; default: ${DEFAULT-VALUE}).") int limit;
    @Option(names = "--max-new-tokens", description = "Default: 256, or what the model's context leaves after the longest prompt.") Integer maxNewTokens;
    @Option(names = "--batch", defaultValue = "16", description = "Prompts per batch.") int batch;
    @Option(names = "--forward-prompts", defaultValue = "32",
            description = "Prompts read by the forward-only analyses (lenses, path patching, attention, neurons; default: ${DEFAULT-VALUE}).") int forwardPrompts;
    @Option(names = "--overwrite", description = "Write into --out even if it holds files that are not an earlier analysis.") boolean overwrite;
    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Split the problems across Spark executors (local[2], spark://host:7077, ...); the same files.") String spark;
    @Mixin SparkOptions sparkOptions;
    @Option(names = "--last-layer-vectors", paramLabel = "FILE",
            description = "A vector trained alone on the last layer: with --penultimate-vectors, also runs the paper's checks on single-layer "
                    + "vectors (delta_p, prefix, circuit, persistence, middle_layers).") Path lastLayerVectors;
    @Option(names = "--penultimate-vectors", paramLabel = "FILE", description = "A vector trained alone on layer L-2.") Path penultimateVectors;
    @Option(names = "--single-layer-steps", defaultValue = "0", paramLabel = "N",
            description = "Train one vector per layer alone (N RL steps each, on --train-data; the paper's Figure 1, single_layer.json), "
                    + "then run the paper's checks on the last and penultimate ones. 0 (default): no sweep.") int singleLayerSteps;
    @Option(names = "--train-data", paramLabel = "FILE.jsonl", description = "Training problems for --single-layer-steps.") Path trainData;
    @Option(names = "--single-layer-lr", defaultValue = "1e-2", description = "Learning rate of the single-layer runs (default: ${DEFAULT-VALUE}).") double singleLayerLr;
    @Option(names = "--paper-samples", defaultValue = "4", paramLabel = "K",
            description = "Samples per problem (T = 1) for every sampled accuracy of the paper's checks (default: ${DEFAULT-VALUE}).") int paperSamples;
    @Option(names = "--no-per-head", description = "Circuit patching: only all-heads q, k, v patches, not each head and group.") boolean noPerHead;
    @Option(names = "--distractor-tokens", paramLabel = "FILE",
            description = "{\"ids\": [...]} of the distractor language's tokens (default: distractor_tokens.json next to the model, if there).") Path distractorTokens;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        if (limit <= 0 || (maxNewTokens != null && maxNewTokens <= 0) || batch <= 0 || forwardPrompts <= 0 || paperSamples <= 0 || singleLayerSteps < 0) {
            throw new UserError("--limit, --max-new-tokens, --batch, --forward-prompts and --paper-samples must be positive, --single-layer-steps >= 0");
        }
        if ((lastLayerVectors == null) != (penultimateVectors == null)) {
            throw new UserError("--last-layer-vectors and --penultimate-vectors go together");
        }
        if (singleLayerSteps > 0 && trainData == null) throw new UserError("--single-layer-steps needs --train-data");
        OutputPath.checkDir(out, "analyze", dir -> Files.isRegularFile(dir.resolve("analysis.json")), overwrite);
        var problems = dataOptions.load("test");
        if (limit < problems.size()) problems = problems.subList(0, limit);
        try (ModelFiles m = ModelFiles.open(model)) {
            SteeringVectors v = VectorFiles.read(vectors, m.model.config.nLayers(), m.model.config.hiddenSize());
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : 256,
                    m.model.config.maxPositionEmbeddings(), PromptOptions.longestPrompt(promptOptions.build(m), problems));
            Generator.checkRoom(m.model.config, newTokens);
            OutputPath.requireWritable(out);
            Interrupts.onInterrupt(() -> "the files already written in " + out + " are whole; run the same command again");
            long t0 = System.nanoTime();
            Analysis.Options opt = new Analysis.Options(newTokens, batch, forwardPrompts, 8, true);
            AnalysisResult r = spark == null ? Analysis.run(m.model, m.tokenizer, promptOptions.build(m), v, problems, opt, out)
                    : SparkCommands.analyze(sparkOptions.target(spark), ModelSpec.of(model, promptOptions.template(m),
                            promptOptions.system, promptOptions.noChat), new Setup(m.model, m.tokenizer, promptOptions.build(m), v, opt), problems, out);
            paperChecks(m, problems, newTokens);
            ReportWriter.write(out, out.resolve("report.html"));
            System.out.printf(Locale.ROOT, "n=%d base acc %.4f steered acc %.4f first-token-only recovery %s; last-layer vector pushes %s; "
                            + "%.1f s; files and report.html in %s%n", problems.size(), r.baseAccuracy(), r.steeredAccuracy(),
                    Double.isNaN(r.firstTokenOnlyRecovery()) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.firstTokenOnlyRecovery()),
                    Json.write(r.lastLayerTopTokens().subList(0, Math.min(5, r.lastLayerTopTokens().size()))),
                    (System.nanoTime() - t0) / 1e9, out);
        }
        return 0;
    }

    /** The single-layer sweep (when asked) and the paper's checks on the last and penultimate single-layer vectors (when there are some). */
    private void paperChecks(ModelFiles m, List<Problem> problems, int maxNewTokens) {
        if (lastLayerVectors == null && singleLayerSteps == 0) return;
        var prompts = promptOptions.build(m);
        int L = m.model.config.nLayers(), d = m.model.config.hiddenSize();
        Set<Integer> distractors = distractorTokens != null ? DistractorTokens.read(distractorTokens)
                : DistractorTokens.nextToModel(m.model.dir);
        PaperChecks.Options opt = new PaperChecks.Options(paperSamples, maxNewTokens, batch * paperSamples, seed, 64, 16, !noPerHead, forwardPrompts, true);
        SteeringVectors last, pen;
        List<SteeringVectors> others = new ArrayList<>();
        if (singleLayerSteps > 0) {
            RlConfig recipe = RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(singleLayerSteps).lr(singleLayerLr).maxNewTokens(maxNewTokens).seed(seed).build();
            var setup = new SingleLayer.Setup(m.model, m.tokenizer, prompts, Dataset.load(trainData), problems, recipe,
                    CorrectnessReward.of(recipe.boxedOnly(), recipe.negReward()), new Sampled.Options(paperSamples, maxNewTokens, batch * paperSamples, seed));
            int[] layers = new int[L];
            for (int l = 0; l < L; l++) layers[l] = l;
            var runs = SingleLayer.sweep(setup, layers, out.resolve("single_layer_runs"), out);
            for (var r : runs) if (r.layer() < L - 2) others.add(r.vectors());
            last = runs.get(L - 1).vectors();
            pen = runs.get(L - 2).vectors();
        } else {
            last = VectorFiles.read(lastLayerVectors, L, d);
            pen = VectorFiles.read(penultimateVectors, L, d);
        }
        long t0 = System.nanoTime();
        PaperChecks.run(m.model, m.tokenizer, prompts, problems, new PaperChecks.Inputs(last, pen, others, null, distractors), opt, out);
        long peak = 0;
        for (var pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        System.out.printf(Locale.ROOT, "paper checks on single-layer vectors: %.1f s, peak heap (summed over pools) %.0f MiB%n",
                (System.nanoTime() - t0) / 1e9, peak / 1048576.0);
    }
}
