package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.model.Generator;
import steerscope.rl.Evaluator;
import steerscope.spark.ModelSpec;
import steerscope.spark.SparkCommands;
import steerscope.util.Interrupts;

@Command(name = "eval", description = "Greedy pass@1 and mean accuracy over K samples on a test set.")
final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Mixin(name = "data") DataOptions dataOptions;
    @Option(names = "--out", required = true, paramLabel = "results.jsonl") Path out;
    @Option(names = "--samples", defaultValue = "16", description = "K samples per problem at --temperature, whose mean accuracy is the paper's metric (0: greedy only).") int samples;
    @Option(names = "--temperature", defaultValue = "1.0") float temperature;
    @Option(names = "--max-new-tokens", description = "Default: 512, or what the model's context leaves after the longest prompt.") Integer maxNewTokens;
    @Option(names = "--batch", defaultValue = "32", description = "Problems decoded together.") int batch;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--limit", defaultValue = "0", description = "Only the first N problems (0: all).") int limit;
    @Option(names = "--overwrite", description = "Replace --out even if it is not an earlier results file.") boolean overwrite;
    @Option(names = "--spark", paramLabel = "MASTER", description = "Split the problems across Spark executors (local[2], spark://host:7077, ...).") String spark;
    @Mixin SteeringOptions steeringOptions;
    @Mixin SparkOptions sparkOptions;
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        OutputPath.checkFile(out, "eval", EvalCommand::isResults, overwrite);
        var problems = dataOptions.load("test");
        if (limit > 0 && limit < problems.size()) problems = problems.subList(0, limit);
        try (ModelFiles m = ModelFiles.open(model)) {
            var prompts = promptOptions.build(m);
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : 512,
                    m.model.config.maxPositionEmbeddings(), PromptOptions.longestPrompt(prompts, problems));
            Generator.checkRoom(m.model.config, newTokens);
            OutputPath.requireWritable(out.toAbsolutePath().getParent());
            Interrupts.onInterrupt(() -> "the results are written only at the end, so " + out
                    + " is unchanged; run the same command again");
            Evaluator ev = new Evaluator(m.model, m.tokenizer, prompts);
            Evaluator.Options opt = new Evaluator.Options(samples, temperature, newTokens, seed, batch);
            Evaluator.Result r = spark == null ? ev.evaluate(problems, steeringOptions.resolve(m.model.config), opt, true)
                    : SparkCommands.eval(sparkOptions.target(spark), ModelSpec.of(model, promptOptions.template(m),
                            promptOptions.system, promptOptions.noChat), problems, steeringOptions.resolve(m.model.config), opt);
            Evaluator.write(r, out);
            Evaluator.Summary s = r.summary();
            String sampled = samples > 0 ? String.format(Locale.ROOT, "mean accuracy over %d samples at T=%s %.4f [%.4f, %.4f], ",
                    samples, temperature, s.meanSampleAccuracy(), s.sampled().lo(), s.sampled().hi()) : "";
            System.out.printf(Locale.ROOT, "n=%d %sgreedy pass@1 %.4f [%.4f, %.4f] (95%% bootstrap intervals); mean greedy length %.1f tokens; results in %s%n",
                    s.n(), sampled, s.greedyAccuracy(), s.greedy().lo(), s.greedy().hi(), s.meanGreedyTokens(), out);
        }
        return 0;
    }

    /** An earlier eval's results: Evaluator.write puts NAME.summary.json beside NAME.jsonl. */
    private static boolean isResults(Path file) {
        return Files.isRegularFile(file.resolveSibling(file.getFileName().toString().replaceFirst("\\.jsonl$", "") + ".summary.json"));
    }
}
