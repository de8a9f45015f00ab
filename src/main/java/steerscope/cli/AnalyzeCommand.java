package steerscope.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.analysis.Analysis;
import steerscope.analysis.AnalysisResult;
import steerscope.analysis.Setup;
import steerscope.steer.SteeringVectors;
import steerscope.steer.VectorFiles;

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
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        if (limit <= 0 || (maxNewTokens != null && maxNewTokens <= 0) || batch <= 0 || forwardPrompts <= 0) {
            throw new steerscope.util.UserError("--limit, --max-new-tokens, --batch and --forward-prompts must be positive");
        }
        OutputPath.checkDir(out, "analyze", dir -> java.nio.file.Files.isRegularFile(dir.resolve("analysis.json")), overwrite);
        var problems = dataOptions.load("test");
        if (limit < problems.size()) problems = problems.subList(0, limit);
        try (ModelFiles m = ModelFiles.open(model)) {
            SteeringVectors v = VectorFiles.read(vectors, m.model.config.nLayers(), m.model.config.hiddenSize());
            steerscope.model.Generator.checkRoom(m.model.config, maxNewTokens);
            OutputPath.requireWritable(out);
            steerscope.util.Interrupts.onInterrupt(() -> "the files already written in " + out + " are whole; run the same command again");
            long t0 = System.nanoTime();
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, 256, m.model.config.maxPositionEmbeddings(),
                    PromptOptions.longestPrompt(promptOptions.build(m), problems));
            Analysis.Options opt = new Analysis.Options(newTokens, batch, forwardPrompts, 8, true);
            AnalysisResult r = spark == null ? Analysis.run(m.model, m.tokenizer, promptOptions.build(m), v, problems, opt, out)
                    : steerscope.spark.SparkCommands.analyze(sparkOptions.target(spark), steerscope.spark.ModelSpec.of(model, promptOptions.template(m),
                            promptOptions.system, promptOptions.noChat), new Setup(m.model, m.tokenizer, promptOptions.build(m), v, opt), problems, out);
            steerscope.report.ReportWriter.write(out, out.resolve("report.html"));
            System.out.printf(Locale.ROOT, "n=%d base acc %.4f steered acc %.4f first-token-only recovery %s; last-layer vector pushes %s; "
                            + "%.1f s; files and report.html in %s%n", problems.size(), r.baseAccuracy(), r.steeredAccuracy(),
                    Double.isNaN(r.firstTokenOnlyRecovery()) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.firstTokenOnlyRecovery()),
                    steerscope.io.Json.write(r.lastLayerTopTokens().subList(0, Math.min(5, r.lastLayerTopTokens().size()))),
                    (System.nanoTime() - t0) / 1e9, out);
        }
        return 0;
    }
}
