package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import steerscope.demo.Demo;
import steerscope.util.Interrupts;

@Command(name = "demo", description = "The paper end to end on the embedded model organism: pretrain, RL-train vectors and a full fine-tune, evaluate, summarise.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--quick", description = "A smaller organism and fewer RL steps (a few minutes).") boolean quick;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the RL runs and the evaluation data.") long seed;
    @Option(names = "--organism-seed", description = "Seed of the organism (corpus, tokenizer, init, batches; default: the organism config's, 1234).") Long organismSeed;
    @Option(names = "--vectors-lr", description = "Learning rate of the steering vectors (default: the demo's, chosen by scripts/demo-sweep).") Double vectorsLr;
    @Option(names = "--full-lr", description = "Learning rate of the full fine-tune (default: the demo's).") Double fullLr;
    @Option(names = "--rl-steps", description = "RL steps of each method (default: 60, or 12 with --quick).") Integer rlSteps;
    @Option(names = "--organism-set", paramLabel = "FIELD=VALUE", description = "Override a field of the organism's configuration (repeatable), as `organism --set`; the cache keys the result.") List<String> organismSet;
    @Option(names = "--no-analysis", description = "Stop after the accuracies (for sweeps): no analyses, no report.") boolean noAnalysis;
    @Option(names = "--overwrite", description = "Write into --out even if it holds files that are not an earlier demo's.") boolean overwrite;
    @Option(names = "--cache", paramLabel = "DIR", description = "Where pretrained organisms are kept (default: $STEERSCOPE_CACHE or ~/.cache/steerscope).") Path cache;

    @Override
    public Integer call() {
        Path cacheDir = cache != null ? cache : System.getenv("STEERSCOPE_CACHE") != null ? Path.of(System.getenv("STEERSCOPE_CACHE"))
                : Path.of(System.getProperty("user.home"), ".cache", "steerscope");
        // the demo's own earlier output (summary.json, or the runs/ of one that was stopped) is redone in place
        OutputPath.checkDir(out, "demo", dir -> Files.isRegularFile(dir.resolve("summary.json")) || Files.isDirectory(dir.resolve("runs")), overwrite);
        OutputPath.requireWritable(out);
        Interrupts.onInterrupt(() -> "the finished outputs in " + out + " are kept and a finished pretraining "
                + "stays cached in " + cacheDir + "; run the same command again to redo the rest");
        new Demo(new Demo.Options(out, quick, seed, organismSeed, cacheDir, vectorsLr, fullLr, rlSteps, !noAnalysis,
                organismSet == null ? List.of() : organismSet)).run();
        return 0;
    }
}
