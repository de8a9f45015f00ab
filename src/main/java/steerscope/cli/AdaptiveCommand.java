package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.analysis.Adaptive;
import steerscope.analysis.Sampled;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.SteeringVectors;
import steerscope.report.ReportWriter;
import steerscope.rl.RlConfig;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

@Command(name = "adaptive", description = "Vectors scaled token-wise by s(h) = a·h + b (the paper's adaptive variant) against plain vectors, "
        + "both trained with the same RL recipe: accuracies and where the scale concentrates. Writes adaptive.json and report.html into --out.")
final class AdaptiveCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Mixin(name = "data") DataOptions dataOptions;
    @Option(names = "--train-data", required = true, paramLabel = "FILE.jsonl", description = "Training problems of the RL runs.") Path trainData;
    @Option(names = "--vectors", paramLabel = "FILE", description = "Start both runs from these vectors (default: zero vectors on every layer).") Path vectors;
    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--steps", defaultValue = "8", description = "RL steps of each run (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--lr", defaultValue = "3e-2", description = "Learning rate of each run (default: ${DEFAULT-VALUE}; at the full demo's 1e-1 the scale's a, which multiplies the residual, runs away: docs/experiments-organism.md).") double lr;
    @Option(names = "--group", defaultValue = "8", description = "Samples per prompt in training (default: ${DEFAULT-VALUE}).") int group;
    @Option(names = "--prompts-per-step", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.") int promptsPerStep;
    @Option(names = "--limit", defaultValue = "50", description = "Test problems evaluated (default: ${DEFAULT-VALUE}).") int limit;
    @Option(names = "--samples", defaultValue = "4", paramLabel = "K", description = "Samples per test problem at T = 1 (default: ${DEFAULT-VALUE}).") int samples;
    @Option(names = "--scale-samples", defaultValue = "64", paramLabel = "N",
            description = "Sampled completions whose tokens are read for the scale's statistics (default: ${DEFAULT-VALUE}).") int scaleSamples;
    @Option(names = "--max-new-tokens", description = "Default: the model's (steerscope.json), else 256, fitted to the context.") Integer maxNewTokens;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--overwrite", description = "Write into --out even if it holds files that are not an earlier adaptive experiment.") boolean overwrite;
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        if (steps <= 0 || group < 2 || promptsPerStep <= 0 || limit <= 0 || samples <= 0 || scaleSamples <= 0 || (maxNewTokens != null && maxNewTokens <= 0)) {
            throw new UserError("--steps, --prompts-per-step, --limit, --samples, --scale-samples and --max-new-tokens must be positive, --group >= 2");
        }
        if (!(lr > 0)) throw new UserError("--lr must be > 0, got " + lr);
        OutputPath.checkDir(out, "experiment adaptive", dir -> Files.isRegularFile(dir.resolve("adaptive.json")) || Files.isDirectory(dir.resolve("runs")), overwrite);
        var test = dataOptions.load("test");
        if (limit < test.size()) test = test.subList(0, limit);
        var train = Dataset.load(trainData);
        try (ModelFiles m = ModelFiles.open(modelOption.dir())) {
            int L = m.model.config.nLayers(), d = m.model.config.hiddenSize();
            SteeringVectors start = vectors != null ? VectorFiles.read(vectors, L, d) : SteeringVectors.zeros(L, d, null);
            var prompts = promptOptions.build(m);
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : 256,
                    m.model.config.maxPositionEmbeddings(), Math.max(PromptOptions.longestPrompt(prompts, test), PromptOptions.longestPrompt(prompts, train)));
            Generator.checkRoom(m.model.config, newTokens);
            OutputPath.requireWritable(out);
            Interrupts.onInterrupt(() -> "the runs in " + out.resolve("runs") + " keep their checkpoints; run the same command again to go on");
            RlConfig recipe = RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(steps).lr(lr).group(group).promptsPerStep(promptsPerStep)
                    .maxNewTokens(newTokens).seed(seed).layers(start.layers()).build();
            var setup = new Adaptive.Setup(m.model, m.tokenizer, prompts, train, test, recipe,
                    CorrectnessReward.of(recipe.boxedOnly(), recipe.negReward()), start,
                    new Sampled.Options(samples, newTokens, 16 * samples, seed), scaleSamples);
            long t0 = System.nanoTime();
            Map<String, Object> r = Adaptive.run(setup, out);
            ReportWriter.write(out, out.resolve("report.html"));
            @SuppressWarnings("unchecked") var acc = (Map<String, Object>) r.get("accuracy");
            System.out.printf(Locale.ROOT, "n=%d K=%d plain %s adaptive %s adaptive-plain %s; %.1f s; adaptive.json and report.html in %s%n",
                    test.size(), samples, Json.write(acc.get("plain")), Json.write(acc.get("adaptive")),
                    Json.write(acc.get("adaptive_minus_plain")), (System.nanoTime() - t0) / 1e9, out);
        }
        return 0;
    }
}
