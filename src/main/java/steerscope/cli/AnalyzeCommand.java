package steerscope.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
import steerscope.io.AtomicFiles;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.SteeringVectors;
import steerscope.report.ReportWriter;
import steerscope.rl.RlConfig;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.spark.ModelSpec;
import steerscope.spark.SparkCommands;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.util.Interrupts;
import steerscope.util.PeakMemory;
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
    @Option(names = "--single-layer-sweep-layers", split = ",", paramLabel = "L,...",
            description = "Layers of the single-layer sweep (default: every layer). The last and penultimate layers are always "
                    + "trained: the paper's checks read them.") int[] sweepLayers;
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
        if (sweepLayers != null && singleLayerSteps == 0) throw new UserError("--single-layer-sweep-layers needs --single-layer-steps");
        OutputPath.checkDir(out, "analyze", dir -> Files.isRegularFile(dir.resolve("analysis.json")), overwrite);
        var problems = dataOptions.load("test");
        if (limit < problems.size()) problems = problems.subList(0, limit);
        try (ModelFiles m = ModelFiles.open(model)) {
            SteeringVectors v = VectorFiles.read(vectors, m.model.config.nLayers(), m.model.config.hiddenSize());
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : 256,
                    m.model.config.maxPositionEmbeddings(), PromptOptions.longestPrompt(promptOptions.build(m), problems));
            Generator.checkRoom(m.model.config, newTokens);
            int[] layers = sweepLayers(m.model.config.nLayers());
            OutputPath.requireWritable(out);
            Interrupts.onInterrupt(() -> "the files already written in " + out + " are whole; run the same command again to go on");
            long t0 = System.nanoTime();
            Analysis.Options opt = new Analysis.Options(newTokens, batch, forwardPrompts, 8, true);
            AnalysisResult r = spark == null ? Analysis.run(m.model, m.tokenizer, promptOptions.build(m), v, problems, opt, out)
                    : SparkCommands.analyze(sparkOptions.target(spark), ModelSpec.of(model, promptOptions.template(m),
                            promptOptions.system, promptOptions.noChat), new Setup(m.model, m.tokenizer, promptOptions.build(m), v, opt), problems, out);
            Map<String, Object> seconds = new LinkedHashMap<>();
            seconds.put("analysis", (System.nanoTime() - t0) / 1e9);
            paperChecks(m, problems, newTokens, layers, seconds);
            seconds.put("total", (System.nanoTime() - t0) / 1e9);
            Map<String, Object> resources = resources(seconds);
            addToAnalysisJson("resources", resources);
            ReportWriter.write(out, out.resolve("report.html"));
            System.out.printf(Locale.ROOT, "n=%d base acc %.4f steered acc %.4f first-token-only recovery %s; last-layer vector pushes %s; files and report.html in %s%n",
                    problems.size(), r.baseAccuracy(), r.steeredAccuracy(),
                    Double.isNaN(r.firstTokenOnlyRecovery()) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.firstTokenOnlyRecovery()),
                    Json.write(r.lastLayerTopTokens().subList(0, Math.min(5, r.lastLayerTopTokens().size()))), out);
            System.out.println("time and memory (analysis.json resources): " + Json.write(resources));
        }
        return 0;
    }

    /** The sweep's layers: --single-layer-sweep-layers (checked against the model) plus the last two, in order; default every layer. */
    private int[] sweepLayers(int L) {
        TreeSet<Integer> set = new TreeSet<>();
        if (sweepLayers == null) for (int l = 0; l < L; l++) set.add(l);
        else for (int l : sweepLayers) {
            if (l < 0 || l >= L) throw new UserError("--single-layer-sweep-layers: layer " + l + " is not in the model's 0.." + (L - 1));
            set.add(l);
        }
        if (L >= 2) {
            set.add(L - 2);
            set.add(L - 1);
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Wall time per phase, peak memory (resident set and Java heap), and the CPUs used: what a run of this size costs. */
    private static Map<String, Object> resources(Map<String, Object> seconds) {
        long rss = PeakMemory.rssBytes();
        Map<String, Object> out = new LinkedHashMap<>();
        seconds.replaceAll((k, x) -> Math.round((Double) x * 10) / 10.0);
        out.put("seconds", seconds);
        out.put("peak_rss_mib", rss < 0 ? null : Math.round(rss / 1048576.0));
        out.put("peak_heap_mib", Math.round(PeakMemory.heapBytes() / 1048576.0));
        out.put("max_heap_mib", Math.round(Runtime.getRuntime().maxMemory() / 1048576.0));
        out.put("cpus", Runtime.getRuntime().availableProcessors());
        return out;
    }

    /** Adds one field to analysis.json, rewriting it atomically. */
    private void addToAnalysisJson(String field, Object value) {
        Path f = out.resolve("analysis.json");
        ObjectNode a = (ObjectNode) Json.read(f);
        a.set(field, Json.MAPPER.valueToTree(value));
        AtomicFiles.writeString(f, Json.writePretty(a));
    }

    /** The single-layer sweep (when asked) and the paper's checks on the last and penultimate single-layer vectors (when there are some). */
    private void paperChecks(ModelFiles m, List<Problem> problems, int maxNewTokens, int[] layers, Map<String, Object> seconds) {
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
            long t = System.nanoTime();
            var runs = SingleLayer.sweep(setup, layers, out.resolve("single_layer_runs"), out);
            seconds.put("single_layer_sweep", (System.nanoTime() - t) / 1e9);
            for (var r : runs) if (r.layer() < L - 2) others.add(r.vectors());
            last = runs.get(runs.size() - 1).vectors();
            pen = runs.get(runs.size() - 2).vectors();
        } else {
            last = VectorFiles.read(lastLayerVectors, L, d);
            pen = VectorFiles.read(penultimateVectors, L, d);
        }
        long t0 = System.nanoTime();
        PaperChecks.run(m.model, m.tokenizer, prompts, problems, new PaperChecks.Inputs(last, pen, others, null, distractors), opt, out);
        seconds.put("paper_checks", (System.nanoTime() - t0) / 1e9);
    }
}
