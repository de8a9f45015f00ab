package steerscope.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import steerscope.io.AtomicFiles;
import steerscope.io.GgufWriter.TensorType;
import steerscope.io.Json;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.tensor.Backend;
import steerscope.util.UserError;

/**
 * Runs every bench case on steerscope (a {@link BenchWorker} JVM), on PyTorch (tools/bench/torch_bench.py on
 * Debian's torch) and, for prefill 1 x 512 and decode on the 0.5B and 1.5B models, on llama.cpp
 * (tools/llama/llama_bench.cpp), one process per case so each peak RSS is the case's own; measures the machine's
 * rooflines; prints the table and optionally writes it as JSON.
 */
public final class BenchRunner {
    /** Options of one bench run. */
    public record Options(Path root, Path model, Path cacheDir, int threads, boolean quick, Path json, boolean torch, boolean llamaCpp) {}

    /** One row: a workload on a model. kind is prefill, decode, rl, rl-recompute (no PyTorch side) or full; gguf is the model for llama.cpp, or null for no llama.cpp run. */
    record Case(String model, Path dir, String kind, int batch, int tokens, int steps, Workloads.Plan plan, Path gguf) {
        String label() {
            return switch (kind) {
                case "prefill" -> "prefill " + batch + "x" + tokens;
                case "decode" -> "decode b" + batch + " ctx " + tokens + "-" + (tokens + plan.repeats() * steps);
                case "rl" -> "RL step (vectors) " + batch + "x" + tokens;
                case "rl-recompute" -> "RL step --recompute " + batch + "x" + tokens;
                default -> "full fine-tune step " + batch + "x" + tokens;
            };
        }
    }

    private final Options opt;

    public BenchRunner(Options opt) {
        this.opt = opt;
    }

    public void run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        setupDeps();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        Map<String, Double> seconds = new LinkedHashMap<>(); // wall time of the run: generating missing checkpoints, then measuring
        report.put("seconds", seconds);
        // generated in a child JVM: the 1.5B's float arrays (6 GB) would otherwise stay in this JVM's heap for the whole run
        java("models", Map.of("cache", opt.cacheDir().toString(), "quick", String.valueOf(opt.quick()), "gguf", String.valueOf(opt.llamaCpp())));
        Path small = opt.model() != null ? opt.model() : BenchModels.ensure(opt.cacheDir(), BenchModels.SMALL, 1);
        Path big = opt.quick() ? null : BenchModels.ensure(opt.cacheDir(), BenchModels.QWEN_05B, 2);
        Path bigF32 = opt.quick() ? null : BenchModels.ensure(opt.cacheDir(), BenchModels.QWEN_05B_F32, 2);
        Path huge = opt.quick() ? null : BenchModels.ensure(opt.cacheDir(), BenchModels.QWEN_15B, 3);
        long t1 = System.nanoTime();
        seconds.put("setup_and_models", (t1 - t0) / 1e9);

        System.err.println("bench: measuring the machine's limits ...");
        // 256 MiB arrays (three of them for the triad): far beyond any last-level cache, and they fit beside other work
        JsonNode limits = java("limits", Map.of("bytes", String.valueOf(256L << 20)));
        double peak = limits.get("fma_gflops").asDouble();
        double bw = new MachineLimits.Limits(peak, limits.get("read_gbs").asDouble(), limits.get("copy_gbs").asDouble(),
                limits.get("triad_gbs").asDouble()).bandwidthGBs();
        report.put("limits", limits);
        JsonNode torchInfo = opt.torch() ? torch("info", null, Map.of()) : null;
        report.put("torch", torchInfo);
        report.put("kernels", Backend.describe());
        report.put("llama_cpp", opt.llamaCpp() && !opt.quick() ? llamaCppInfo() : null);

        List<Case> cases = new ArrayList<>();
        Workloads.Plan smallPlan = opt.quick() ? new Workloads.Plan(2, 3, 10) : new Workloads.Plan(3, 7, 20);
        Workloads.Plan bigPlan = new Workloads.Plan(1, 3, 30);
        // the real sizes first: on a shared machine a run stopped part way has measured the rows that matter most
        if (big != null) {
            Set<String> anchor = Set.of("prefill", "decode1", "decode16"); // the rows llama.cpp also runs
            addModelCases(cases, "qwen-0.5b", big, bigPlan, 8, 8, Set.of("prefill", "prefill8", "decode1", "decode16", "rl", "rl-recompute"),
                    gguf(big, TensorType.BF16, anchor));
            addModelCases(cases, "qwen-0.5b-f32", bigF32, bigPlan, 8, 8, anchor, gguf(bigF32, TensorType.F32, anchor));
            // the 1.5B RL step on 2 x 256: 8 x 256 takes minutes a step on 2 cores (the bench's 10-minute budget)
            addModelCases(cases, "qwen-1.5b", huge, bigPlan, 8, 2, Set.of("prefill", "decode1", "decode16", "rl"), gguf(huge, TensorType.BF16, anchor));
        }
        addModelCases(cases, "small", small, smallPlan, 32, 8, Set.of("prefill", "prefill8", "decode1", "decode16", "rl", "full"), null);

        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, String>> failed = new ArrayList<>();
        report.put("rows", rows);
        for (Case c : cases) {
            ModelConfig cfg = ModelConfig.load(c.dir());
            Map<String, String> args = new LinkedHashMap<>();
            args.put("model", c.dir().toString());
            args.put("batch", String.valueOf(c.batch()));
            args.put("tokens", String.valueOf(c.tokens()));
            args.put("steps", String.valueOf(c.steps()));
            args.put("warmup", String.valueOf(c.plan().warmup()));
            args.put("repeats", String.valueOf(c.plan().repeats()));
            args.put("budget", String.valueOf(c.plan().budgetSeconds()));
            System.err.printf("bench: %s %s: steerscope ...%n", c.model(), c.label());
            Map<String, Double> wall = new LinkedHashMap<>(); // each side's whole case, warm-up and start-up included
            long w0 = System.nanoTime();
            JsonNode ours;
            try {
                ours = java(c.kind(), args);
                wall.put("steerscope", (System.nanoTime() - w0) / 1e9);
            } catch (IllegalStateException e) { // e.g. killed for memory on a machine shared with other work: the row is listed as failed
                System.err.println("bench: " + e.getMessage());
                failed.add(Map.of("model", c.model(), "workload", c.label(), "error", e.getMessage()));
                report.put("failed", failed);
                continue;
            }
            JsonNode theirs = null;
            if (opt.torch() && !c.kind().equals("rl-recompute")) {
                System.err.printf("bench: %s %s: PyTorch ...%n", c.model(), c.label());
                long w1 = System.nanoTime();
                theirs = torch(c.kind(), c.dir(), args);
                wall.put("pytorch", (System.nanoTime() - w1) / 1e9);
            }
            JsonNode llama = null;
            if (c.gguf() != null) {
                System.err.printf("bench: %s %s: llama.cpp ...%n", c.model(), c.label());
                long w2 = System.nanoTime();
                llama = llamaCpp(c, args);
                wall.put("llamacpp", (System.nanoTime() - w2) / 1e9);
            }
            Map<String, Object> row = row(c, cfg, ours, theirs, llama, peak, bw);
            row.put("wall_seconds", wall);
            rows.add(row);
            seconds.put("measuring", (System.nanoTime() - t1) / 1e9);
            // every finished row is kept: a run stopped part way leaves the rows it measured
            if (opt.json() != null) AtomicFiles.writeString(opt.json(), Json.writePretty(report) + "\n");
        }
        String table = table(report, rows, limits, torchInfo);
        System.out.print(table);
        for (Map<String, String> f : failed) System.out.printf("not measured: %s %s (%s)%n", f.get("model"), f.get("workload"), f.get("error"));
        if (opt.json() != null) AtomicFiles.writeString(opt.json(), Json.writePretty(report) + "\n");
    }

    /**
     * The cases of one model, those of {@code which} in this order: prefill (1 x 512), prefill8 (8 x 128), decode1,
     * decode16, rl, rl-recompute, full (the training steps on trainBatch x 256); llama.cpp runs those of them its
     * function maps to a GGUF.
     */
    private static void addModelCases(List<Case> cases, String name, Path dir, Workloads.Plan plan, int decodeSteps, int trainBatch, Set<String> which,
            Function<String, Path> gguf) {
        int maxPos = ModelConfig.load(dir).maxPositionEmbeddings();
        int prefill = Math.min(512, maxPos), ctx = Math.min(256, maxPos - plan.repeats() * decodeSteps), train = Math.min(256, maxPos);
        boolean small = which.contains("full");
        Workloads.Plan trainPlan = small ? plan : new Workloads.Plan(1, 2, 30);
        List<Case> all = List.of(new Case(name, dir, "prefill", 1, prefill, 0, plan, null), new Case(name, dir, "prefill", 8, Math.min(128, maxPos), 0, plan, null),
                new Case(name, dir, "decode", 1, ctx, decodeSteps, plan, null), new Case(name, dir, "decode", 16, ctx, decodeSteps, plan, null),
                new Case(name, dir, "rl", trainBatch, train, 0, trainPlan, null), new Case(name, dir, "rl-recompute", trainBatch, train, 0, trainPlan, null),
                new Case(name, dir, "full", trainBatch, train, 0, plan, null));
        List<String> keys = List.of("prefill", "prefill8", "decode1", "decode16", "rl", "rl-recompute", "full");
        for (int i = 0; i < all.size(); i++) {
            Case c = all.get(i);
            String key = keys.get(i);
            if (which.contains(key)) cases.add(new Case(c.model(), dir, c.kind(), c.batch(), c.tokens(), c.steps(), c.plan(), gguf == null ? null : gguf.apply(key)));
        }
    }

    /** The GGUF llama.cpp runs for the cases in {@code anchor}, exported on first use; none without --llama-cpp. */
    private Function<String, Path> gguf(Path dir, TensorType type, Set<String> anchor) {
        if (!opt.llamaCpp()) return null;
        Path file = BenchModels.gguf(dir, type);
        return key -> anchor.contains(key) ? file : null;
    }

    /** A row of the report: throughput of both, the ratio, and each as a fraction of its roofline bound. */
    private Map<String, Object> row(Case c, ModelConfig cfg, JsonNode ours, JsonNode theirs, JsonNode llama, double peakGflops, double bwGBs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", c.model());
        r.put("workload", c.label());
        r.put("kind", c.kind());
        double oursTps = ours.get("tokens").asDouble() / ours.get("median_s").asDouble();
        r.put("steerscope_tokens_per_s", oursTps);
        r.put("steerscope", ours);
        Double theirsTps = theirs == null || !theirs.has("median_s") ? null : theirs.get("tokens").asDouble() / theirs.get("median_s").asDouble();
        r.put("pytorch_tokens_per_s", theirsTps);
        r.put("pytorch", theirs);
        r.put("ratio", theirsTps == null ? null : oursTps / theirsTps);
        // the roofline: tokens/s the machine could reach on this workload
        Roofline rl = roofline(c, cfg, peakGflops, bwGBs);
        r.put("bound", rl.what());
        r.put("bound_tokens_per_s", rl.tokensPerSecond());
        r.put("steerscope_fraction_of_bound", oursTps / rl.tokensPerSecond());
        r.put("pytorch_fraction_of_bound", theirsTps == null ? null : theirsTps / rl.tokensPerSecond());
        if (c.kind().equals("decode")) {
            // decode's other roofline: its FLOPs (2 per weight per row, plus attention over the cache) at the FMA peak
            double fmaBound = decodeFmaBound(c, cfg, peakGflops);
            r.put("fma_bound_tokens_per_s", fmaBound);
            r.put("steerscope_fraction_of_fma_bound", oursTps / fmaBound);
        }
        Double llamaTps = llama == null ? null : llama.get("tokens").asDouble() / llama.get("median_s").asDouble();
        r.put("llamacpp_tokens_per_s", llamaTps);
        r.put("llamacpp", llama);
        r.put("ratio_llamacpp", llamaTps == null ? null : oursTps / llamaTps);
        r.put("llamacpp_fraction_of_bound", llamaTps == null ? null : llamaTps / rl.tokensPerSecond());
        return r;
    }

    record Roofline(String what, double tokensPerSecond) {}

    /**
     * Prefill and training are bound by FLOPs (matmuls and attention, over the measured FMA peak); decode by the
     * bytes read per step (every weight matrix, lm_head included, plus each row's F32 keys and values) over the
     * measured bandwidth.
     */
    static Roofline roofline(Case c, ModelConfig cfg, double peakGflops, double bwGBs) {
        int d = cfg.hiddenSize(), q = cfg.qDim(), kv = cfg.kvDim(), ff = cfg.intermediateSize(), L = cfg.nLayers();
        double layerParams = (double) L * (2.0 * d * q + 2.0 * d * kv + 3.0 * d * ff);
        double head = (double) cfg.vocabSize() * d;
        double B = c.batch(), T = c.tokens(), N = B * T;
        double attn = 4.0 * cfg.headDim() * (T * (T + 1) / 2) * cfg.nHeads() * B * L; // QKᵀ and PV, causal
        if (c.kind().equals("decode")) {
            double bytesPerParam = cfg.torchDtype().equals("bfloat16") ? 2 : 4;
            double ctx = c.tokens() + c.plan().repeats() * c.steps() / 2.0;
            double bytes = (layerParams + head) * bytesPerParam + B * 2.0 * L * ctx * kv * 4;
            return new Roofline("bandwidth", B * bwGBs * 1e9 / bytes);
        }
        double flops = switch (c.kind()) {
            case "prefill" -> 2 * N * layerParams + attn;
            case "rl" -> 4 * N * (layerParams + head) + 3 * attn;   // forward + input gradients
            case "rl-recompute" -> 4 * N * (layerParams + head) + 2 * N * layerParams + 4 * attn; // + the blocks' forward again
            default -> 6 * N * (layerParams + head) + 3 * attn;     // + weight gradients
        };
        return new Roofline("FMA peak", N * peakGflops * 1e9 / flops);
    }

    /** Decode tokens/s if the step's multiply-adds ran at the FMA peak (F32 FMAs: what the Java kernels use). */
    static double decodeFmaBound(Case c, ModelConfig cfg, double peakGflops) {
        int d = cfg.hiddenSize(), q = cfg.qDim(), kv = cfg.kvDim(), ff = cfg.intermediateSize(), L = cfg.nLayers();
        double params = (double) L * (2.0 * d * q + 2.0 * d * kv + 3.0 * d * ff) + (double) cfg.vocabSize() * d;
        double ctx = c.tokens() + c.plan().repeats() * c.steps() / 2.0;
        double flopsPerToken = 2 * params + 4.0 * cfg.headDim() * ctx * cfg.nHeads() * L;
        return peakGflops * 1e9 / flopsPerToken;
    }

    private String table(Map<String, Object> report, List<Map<String, Object>> rows, JsonNode limits, JsonNode torchInfo) {
        StringBuilder sb = new StringBuilder();
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) report.get("machine");
        sb.append(String.format(Locale.ROOT, "machine: %s, %s cores, %d threads, load before the run %s%n", m.get("cpu"), m.get("cores"),
                opt.threads(), m.get("load")));
        sb.append(String.format(Locale.ROOT, "limits:  FMA peak %.0f GFLOP/s (Vector API, %d threads); memory bandwidth read %.1f, copy %.1f, triad %.1f GB/s%n",
                limits.get("fma_gflops").asDouble(), opt.threads(), limits.get("read_gbs").asDouble(), limits.get("copy_gbs").asDouble(),
                limits.get("triad_gbs").asDouble()));
        JsonNode bf16 = limits.get("bf16_gflops");
        sb.append(bf16 == null || bf16.isNull() ? "limits:  BF16 dot-product peak not measured (it needs oneDNN, libdnnl2: scripts/setup-bench-deps)\n"
                : String.format(Locale.ROOT, "limits:  BF16 dot-product peak %.0f GFLOP/s (oneDNN, BF16 x BF16 -> F32, %d threads)%n", bf16.asDouble(), opt.threads()));
        sb.append(String.format(Locale.ROOT, "kernels: %s%s%n", report.get("kernels"), implementations(rows)));
        if (torchInfo != null) {
            sb.append(String.format(Locale.ROOT, "torch:   %s, %d threads, BLAS %s%n", torchInfo.get("torch").asText(), torchInfo.get("threads").asInt(),
                    torchInfo.get("blas")));
        }
        JsonNode llamaInfo = (JsonNode) report.get("llama_cpp");
        if (llamaInfo != null) {
            sb.append(String.format(Locale.ROOT, "llama.cpp: %s, CPU backend %s, %s; F16 KV cache, flash attention auto (its defaults)%n",
                    llamaInfo.get("build").asText(), llamaInfo.get("cpu_backend").asText(), llamaInfo.get("system_info").asText().trim()));
        }
        sb.append(String.format(Locale.ROOT, "%n%-13s %-30s %11s %11s %7s %11s %7s %17s %14s %14s %9s %9s %9s%n", "model", "workload", "steerscope", "PyTorch",
                "ratio", "llama.cpp", "ratio", "steerscope/bound", "PyTorch/bound", "llama.cpp/bd", "RSS ours", "RSS torch", "RSS llama"));
        sb.append(String.format(Locale.ROOT, "%-13s %-30s %11s %11s %7s %11s %7s %17s %14s %14s %9s %9s %9s%n", "", "", "tokens/s", "tokens/s", "", "tokens/s", "", "",
                "", "", "MiB", "MiB", "MiB"));
        for (Map<String, Object> r : rows) {
            JsonNode ours = (JsonNode) r.get("steerscope");
            String bound = r.get("bound").equals("bandwidth") ? " of BW" : " of FMA";
            sb.append(String.format(Locale.ROOT, "%-13s %-30s %11.1f %11s %7s %11s %7s %17s %14s %14s %9d %9s %9s%n", r.get("model"), r.get("workload"),
                    (Double) r.get("steerscope_tokens_per_s"), num(r.get("pytorch_tokens_per_s"), "%.1f"), num(r.get("ratio"), "%.2fx"),
                    num(r.get("llamacpp_tokens_per_s"), "%.1f"), num(r.get("ratio_llamacpp"), "%.2fx"),
                    percent(r.get("steerscope_fraction_of_bound"), bound), percent(r.get("pytorch_fraction_of_bound"), bound),
                    percent(r.get("llamacpp_fraction_of_bound"), bound), ours.get("peak_rss_bytes").asLong() >> 20,
                    rss((JsonNode) r.get("pytorch")), rss((JsonNode) r.get("llamacpp"))));
        }
        for (Map<String, Object> r : rows) {
            JsonNode ours = (JsonNode) r.get("steerscope");
            long act = ours.get("activation_bytes").asLong();
            if (act > 0) sb.append(String.format(Locale.ROOT, "activation memory of the steerscope %s on %s: %d MiB%n", r.get("workload"), r.get("model"), act >> 20));
        }
        return sb.toString();
    }

    private static String num(Object v, String format) {
        return v == null ? "n/a" : String.format(Locale.ROOT, format, (Double) v);
    }

    private static String percent(Object fraction, String bound) {
        return fraction == null ? "n/a" : String.format(Locale.ROOT, "%.0f%%%s", 100 * (Double) fraction, bound);
    }

    private static String rss(JsonNode side) {
        return side == null || !side.has("peak_rss_bytes") ? "n/a" : String.valueOf(side.get("peak_rss_bytes").asLong() >> 20);
    }

    /** ", oneDNN implementations: brg:avx512_core_bf16, ..." over every row's worker, or "" on the Java kernels. */
    private static String implementations(List<Map<String, Object>> rows) {
        TreeSet<String> names = new TreeSet<>();
        for (Map<String, Object> r : rows) {
            JsonNode impl = ((JsonNode) r.get("steerscope")).get("native_implementations");
            if (impl != null) impl.forEach(n -> names.add(n.asText()));
        }
        return names.isEmpty() ? "" : "; oneDNN implementations: " + String.join(", ", names);
    }

    private Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        String cpu = "unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            m.put("load", Files.readString(Path.of("/proc/loadavg")).trim());
        } catch (IOException e) {
            m.put("load", "unknown");
        }
        m.put("cpu", cpu);
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("threads", opt.threads());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return m;
    }

    /**
     * Installs what the other sides need when missing, through scripts/setup-bench-deps: torch and
     * libopenblas0-pthread, llama.cpp's libraries and our driver for them (target/llama/llama_bench).
     */
    private void setupDeps() throws IOException, InterruptedException {
        if (!opt.torch() && !opt.llamaCpp()) return;
        Path script = opt.root().resolve("scripts/setup-bench-deps");
        if (!Files.isRegularFile(script)) throw UserError.inFile(script, "not found: run the bench from a steerscope checkout");
        Process p = new ProcessBuilder(script.toString()).inheritIO().start();
        if (p.waitFor() != 0) throw new UserError("scripts/setup-bench-deps failed: PyTorch, libopenblas0-pthread and llama.cpp (npm's @node-llama-cpp/linux-x64, "
                + "g++) are needed for the comparison (or pass --no-torch / --no-llama-cpp)");
    }

    private JsonNode java(String kind, Map<String, String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-Dsteerscope.threads")) cmd.add(a);
        }
        cmd.add("-Dsteerscope.threads=" + opt.threads());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchWorker.class.getName());
        cmd.add(kind);
        cmd.add("threads=" + opt.threads());
        cmd.add("kernels=" + Backend.current().name().toLowerCase(Locale.ROOT));
        args.forEach((k, v) -> cmd.add(k + "=" + v));
        return runJsonLine(cmd, "steerscope " + kind);
    }

    private JsonNode torch(String kind, Path model, Map<String, String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", opt.root().resolve("tools/bench/torch_bench.py").toString(),
                "--case", kind, "--threads", String.valueOf(opt.threads()), "--model", model == null ? "-" : model.toString()));
        args.forEach((k, v) -> {
            if (!k.equals("model")) {
                cmd.add("--" + k);
                cmd.add(v);
            }
        });
        try {
            return runJsonLine(cmd, "PyTorch " + kind);
        } catch (IllegalStateException e) {
            System.err.println("bench: " + e.getMessage());
            return null;
        }
    }

    private Path llamaBins() {
        return opt.root().resolve("tools/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
    }

    /** One case on llama.cpp (tools/llama/llama_bench.cpp): prefill or decode of the case's GGUF; null (and a line) when it fails. */
    private JsonNode llamaCpp(Case c, Map<String, String> args) throws IOException, InterruptedException {
        List<String> cmd = List.of(opt.root().resolve("target/llama/llama_bench").toString(), llamaBins().toString(), c.gguf().toString(),
                String.valueOf(opt.threads()), c.kind(), args.get("batch"), args.get("tokens"), args.get("steps"), args.get("warmup"),
                args.get("repeats"), args.get("budget"));
        try {
            return runJsonLine(cmd, "llama.cpp " + c.kind(), LLAMA_CPP_LIMIT_S);
        } catch (IllegalStateException e) {
            System.err.println("bench: " + e.getMessage());
            return null;
        }
    }

    /** llama.cpp's build, the CPU backend library ggml loaded and its features: from a 4-token prefill of the small model. */
    private JsonNode llamaCppInfo() throws IOException, InterruptedException {
        Path small = BenchModels.gguf(BenchModels.ensure(opt.cacheDir(), BenchModels.SMALL, 1), TensorType.F32);
        JsonNode j = llamaCpp(new Case("small", null, "prefill", 1, 4, 0, null, small), Map.of("batch", "1", "tokens", "4", "steps", "0",
                "warmup", "0", "repeats", "1", "budget", "1"));
        if (j == null) throw new UserError("llama.cpp does not run (see above): run scripts/setup-bench-deps, or pass --no-llama-cpp");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("build", j.get("build").asText());
        info.put("cpu_backend", Path.of(j.get("cpu_backend").asText()).getFileName().toString());
        info.put("system_info", j.get("system_info").asText());
        info.put("libraries", llamaBins().toString());
        return Json.MAPPER.valueToTree(info);
    }

    /**
     * llama.cpp's threads wait for each other at every graph node by spinning: on a CPU shared with other work
     * a run can take minutes per token, so its runs get a limit.
     */
    private static final long LLAMA_CPP_LIMIT_S = 120;

    /** Runs a child process, passing its stderr through, and parses the last line of its stdout as JSON. */
    private static JsonNode runJsonLine(List<String> cmd, String what) throws IOException, InterruptedException {
        return runJsonLine(cmd, what, Long.MAX_VALUE);
    }

    private static JsonNode runJsonLine(List<String> cmd, String what, long limitSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var stdout = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException(what + " stopped after " + limitSeconds + " s");
        }
        String out = stdout.join();
        int rc = p.exitValue();
        if (rc != 0 || out.isEmpty()) throw new IllegalStateException(what + " failed (exit " + rc + ")");
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return Json.MAPPER.readTree(last);
    }
}
