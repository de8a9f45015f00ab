package steerscope.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.rl.Evaluator;

@Command(name = "eval", description = "Greedy pass@1 and mean accuracy over K samples on a test set.")
final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Mixin(name = "data") DataOptions dataOptions;
    @Option(names = "--out", required = true, paramLabel = "results.jsonl") Path out;
    @Option(names = "--samples", defaultValue = "0", description = "K samples per problem at --temperature (0: greedy only).") int samples;
    @Option(names = "--temperature", defaultValue = "1.0") float temperature;
    @Option(names = "--max-new-tokens", description = "Default: 512, or what the model's context leaves after the longest prompt.") Integer maxNewTokens;
    @Option(names = "--batch", defaultValue = "32", description = "Problems decoded together.") int batch;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--limit", defaultValue = "0", description = "Only the first N problems (0: all).") int limit;
    @Option(names = "--spark", paramLabel = "MASTER", description = "Split the problems across Spark executors (local[2], spark://host:7077, ...).") String spark;
    @Mixin SteeringOptions steeringOptions;
    @Mixin PromptOptions promptOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        var problems = dataOptions.load("test");
        if (limit > 0 && limit < problems.size()) problems = problems.subList(0, limit);
        try (ModelFiles m = ModelFiles.open(model)) {
            var prompts = promptOptions.build(m);
            Evaluator ev = new Evaluator(m.model, m.tokenizer, prompts);
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, 512, m.model.config.maxPositionEmbeddings(),
                    PromptOptions.longestPrompt(prompts, problems));
            Evaluator.Options opt = new Evaluator.Options(samples, temperature, newTokens, seed, batch);
            Evaluator.Result r = spark == null ? ev.evaluate(problems, steeringOptions.resolve(m.model.config), opt, true)
                    : steerscope.spark.SparkCommands.eval(spark, steerscope.spark.ModelSpec.of(model, promptOptions.template,
                            promptOptions.system, promptOptions.noChat), problems, steeringOptions.resolve(m.model.config), opt);
            Evaluator.write(r, out);
            System.out.printf(Locale.ROOT, "n=%d greedy pass@1 %.4f%s mean length %.1f tokens; results in %s%n", r.summary().n(),
                    r.summary().greedyAccuracy(), samples > 0 ? String.format(Locale.ROOT, ", mean accuracy over %d samples %.4f,", samples,
                            r.summary().meanSampleAccuracy()) : ",", r.summary().meanGreedyTokens(), out);
        }
        return 0;
    }
}
