package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import steerscope.bench.BenchRunner;
import steerscope.spark.SparkBench;
import steerscope.util.UserError;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Speed and memory against Debian's PyTorch and "
        + "llama.cpp on the same CPU, threads, shapes and dtype: prefill, decode with the KV cache, an RL step for steering vectors "
        + "and a full fine-tune step, on a small model and on generated checkpoints with Qwen2.5-0.5B's shapes (BF16 and F32) and "
        + "Qwen2.5-1.5B's (BF16), next to the machine's measured FMA peak and memory bandwidth. See docs/performance.md.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|ID", description = "small model to use, a directory or a Hub ID in the local cache (default: a generated d_model 256, 4-layer checkpoint)")
    String modelArg;
    @Option(names = "--revision", paramLabel = "REV", description = "With a Hub ID: a branch, tag or commit hash (default: main).")
    String revision;
    @Option(names = "--json", paramLabel = "FILE", description = "also write every measurement as JSON")
    Path json;
    @Option(names = "--threads", paramLabel = "N", description = "threads for both steerscope and torch (default: all cores)")
    Integer threads;
    @Option(names = "--spark", paramLabel = "MASTER", description = "also time an RL step (16 x 16) on Spark against the single-machine step, and the bytes moved")
    String spark;

    @Option(names = "--spark-only", description = "with --spark: only the Spark row")
    boolean sparkOnly;

    @Option(names = "--quick", description = "the small model only, fewer repeats")
    boolean quick;
    @Option(names = "--no-torch", description = "skip the PyTorch side")
    boolean noTorch;
    @Option(names = "--no-llama-cpp", description = "skip the llama.cpp side (npm's @node-llama-cpp/linux-x64 libraries, on the 0.5B and 1.5B models)")
    boolean noLlamaCpp;
    @Option(names = "--cache-dir", paramLabel = "DIR", description = "where generated checkpoints are kept (default: target/bench-models)")
    Path cacheDir;

    @Override
    public Integer call() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("tools/bench/torch_bench.py"))) root = root.getParent();
        if (root == null && !noTorch) throw new UserError("tools/bench/torch_bench.py not found above the current directory: run the bench from the steerscope checkout (or pass --no-torch)");
        if (root == null) root = Path.of("").toAbsolutePath();
        Path model = modelArg == null ? null : ModelFiles.resolve(modelArg, revision);
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) throw new UserError("--threads must be at least 1, got " + n);
        if (model != null && !Files.isRegularFile(model.resolve("config.json"))) throw UserError.inFile(model, "not a model directory: config.json not found");
        Path cache = cacheDir != null ? cacheDir : root.resolve("target/bench-models");
        if (!sparkOnly) new BenchRunner(new BenchRunner.Options(root, model, cache, n, quick, json, !noTorch, !noLlamaCpp)).run();
        if (spark != null) {
            if (model == null) throw new UserError("--spark needs --model DIR: the organism (./steerscope organism --out DIR) or a model with its prompts");
            System.out.println(SparkBench.organismRow(spark, model, 3).row());
        }
        return 0;
    }
}
