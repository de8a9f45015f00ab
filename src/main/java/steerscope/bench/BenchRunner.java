package steerscope.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.tensor.Backend;
import steerscope.util.UserError;

/**
 * Runs every bench case twice, once on steerscope (a {@link BenchWorker} JVM) and once on PyTorch
 * (tools/bench/torch_bench.py on Debian's torch), one process per case so each peak RSS is the case's own; measures
 * the machine's rooflines; prints the table and optionally writes it as JSON.
 */
public final class BenchRunner {
    /** Options of one bench run. */
    public record Options(Path root, Path model, Path cacheDir, int threads, boolean quick, Path json, boolean torch) {}

    /** One row: a workload on a model. kind is prefill, decode, rl or full. */
    record Case(String model, Path dir, String kind, int batch, int tokens, int steps, Workloads.Plan plan) {
        String label() {
            return switch (kind) {
                case "prefill" -> "prefill " + batch + "x" + tokens;
                case "decode" -> "decode b" + batch + " ctx " + tokens + "-" + (tokens + plan.repeats() * steps);
                case "rl" -> "RL step (vectors) " + batch + "x" + tokens;
                default -> "full fine-tune step " + batch + "x" + tokens;
            };
        }
    }

    private final Options opt;

    public BenchRunner(Options opt) {
        this.opt = opt;
    }

    public void run() throws IOException, InterruptedException {
        setupDeps();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        Path small = opt.model() != null ? opt.model() : BenchModels.ensure(opt.cacheDir(), BenchModels.SMALL, 1);
        Path big = opt.quick() ? null : BenchModels.ensure(opt.cacheDir(), BenchModels.QWEN_05B, 2);

        System.err.println("bench: measuring the machine's limits ...");
        JsonNode limits = java("limits", Map.of("bytes", String.valueOf(opt.quick() ? 256L << 20 : 1L << 30)));
        double peak = limits.get("fma_gflops").asDouble();
        double bw = new MachineLimits.Limits(peak, limits.get("read_gbs").asDouble(), limits.get("copy_gbs").asDouble(),
                limits.get("triad_gbs").asDouble()).bandwidthGBs();
        report.put("limits", limits);
        JsonNode torchInfo = opt.torch() ? torch("info", null, Map.of()) : null;
        report.put("torch", torchInfo);
        report.put("kernels", Backend.describe());

        List<Case> cases = new ArrayList<>();
        Workloads.Plan smallPlan = opt.quick() ? new Workloads.Plan(2, 3, 10) : new Workloads.Plan(3, 7, 20);
        Workloads.Plan bigPlan = new Workloads.Plan(1, 3, 30);
        addModelCases(cases, "small", small, smallPlan, 32, true);
        if (big != null) addModelCases(cases, "qwen-0.5b", big, bigPlan, 8, false);

        List<Map<String, Object>> rows = new ArrayList<>();
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
            JsonNode ours = java(c.kind(), args);
            JsonNode theirs = null;
            if (opt.torch()) {
                System.err.printf("bench: %s %s: PyTorch ...%n", c.model(), c.label());
                theirs = torch(c.kind(), c.dir(), args);
            }
            rows.add(row(c, cfg, ours, theirs, peak, bw));
        }
        report.put("rows", rows);
        String table = table(report, rows, limits, torchInfo);
        System.out.print(table);
        if (opt.json() != null) AtomicFiles.writeString(opt.json(), Json.writePretty(report) + "\n");
    }

    private static void addModelCases(List<Case> cases, String name, Path dir, Workloads.Plan plan, int decodeSteps, boolean full) {
        int maxPos = ModelConfig.load(dir).maxPositionEmbeddings();
        int prefill = Math.min(512, maxPos), ctx = Math.min(256, maxPos - plan.repeats() * decodeSteps);
        cases.add(new Case(name, dir, "prefill", 1, prefill, 0, plan));
        cases.add(new Case(name, dir, "prefill", 8, Math.min(128, maxPos), 0, plan));
        cases.add(new Case(name, dir, "decode", 1, ctx, decodeSteps, plan));
        cases.add(new Case(name, dir, "decode", 16, ctx, decodeSteps, plan));
        Workloads.Plan train = full ? plan : new Workloads.Plan(1, 2, 30);
        cases.add(new Case(name, dir, "rl", 8, Math.min(256, maxPos), 0, train));
        if (full) cases.add(new Case(name, dir, "full", 8, Math.min(256, maxPos), 0, plan));
    }

    /** A row of the report: throughput of both, the ratio, and each as a fraction of its roofline bound. */
    private Map<String, Object> row(Case c, ModelConfig cfg, JsonNode ours, JsonNode theirs, double peakGflops, double bwGBs) {
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
            default -> 6 * N * (layerParams + head) + 3 * attn;     // + weight gradients
        };
        return new Roofline("FMA peak", N * peakGflops * 1e9 / flops);
    }

    private String table(Map<String, Object> report, List<Map<String, Object>> rows, JsonNode limits, JsonNode torchInfo) {
        StringBuilder sb = new StringBuilder();
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) report.get("machine");
        sb.append(String.format(Locale.ROOT, "machine: %s, %s cores, %d threads, load before the run %s%n", m.get("cpu"), m.get("cores"),
                opt.threads(), m.get("load")));
        sb.append(String.format(Locale.ROOT, "limits:  FMA peak %.0f GFLOP/s (Vector API, %d threads); memory bandwidth read %.1f, copy %.1f, triad %.1f GB/s%n",
                limits.get("fma_gflops").asDouble(), opt.threads(), limits.get("read_gbs").asDouble(), limits.get("copy_gbs").asDouble(),
                limits.get("triad_gbs").asDouble()));
        sb.append(String.format(Locale.ROOT, "kernels: %s%s%n", report.get("kernels"), implementations(rows)));
        if (torchInfo != null) {
            sb.append(String.format(Locale.ROOT, "torch:   %s, %d threads, BLAS %s%n", torchInfo.get("torch").asText(), torchInfo.get("threads").asInt(),
                    torchInfo.get("blas")));
        }
        sb.append(String.format(Locale.ROOT, "%n%-10s %-32s %12s %12s %7s %16s %16s %10s %10s%n", "model", "workload", "steerscope", "PyTorch",
                "ratio", "steerscope/bound", "PyTorch/bound", "RSS ours", "RSS torch"));
        sb.append(String.format(Locale.ROOT, "%-10s %-32s %12s %12s %7s %16s %16s %10s %10s%n", "", "", "tokens/s", "tokens/s", "", "", "", "MiB", "MiB"));
        for (Map<String, Object> r : rows) {
            JsonNode ours = (JsonNode) r.get("steerscope"), theirs = (JsonNode) r.get("pytorch");
            Double tt = (Double) r.get("pytorch_tokens_per_s"), ratio = (Double) r.get("ratio"), tf = (Double) r.get("pytorch_fraction_of_bound");
            String bound = r.get("bound").equals("bandwidth") ? " of BW" : " of FMA";
            sb.append(String.format(Locale.ROOT, "%-10s %-32s %12.1f %12s %7s %16s %16s %10d %10s%n", r.get("model"), r.get("workload"),
                    (Double) r.get("steerscope_tokens_per_s"), tt == null ? "n/a" : String.format(Locale.ROOT, "%.1f", tt),
                    ratio == null ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio),
                    String.format(Locale.ROOT, "%.0f%%%s", 100 * (Double) r.get("steerscope_fraction_of_bound"), bound),
                    tf == null ? "n/a" : String.format(Locale.ROOT, "%.0f%%%s", 100 * tf, bound),
                    ours.get("peak_rss_bytes").asLong() >> 20,
                    theirs == null || !theirs.has("peak_rss_bytes") ? "n/a" : String.valueOf(theirs.get("peak_rss_bytes").asLong() >> 20)));
        }
        for (Map<String, Object> r : rows) {
            JsonNode ours = (JsonNode) r.get("steerscope");
            long act = ours.get("activation_bytes").asLong();
            if (act > 0) sb.append(String.format(Locale.ROOT, "activation memory of the steerscope %s on %s: %d MiB%n", r.get("workload"), r.get("model"), act >> 20));
        }
        return sb.toString();
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

    /** Installs libopenblas0-pthread (and torch) when missing, through scripts/setup-bench-deps. */
    private void setupDeps() throws IOException, InterruptedException {
        if (!opt.torch()) return;
        Path script = opt.root().resolve("scripts/setup-bench-deps");
        if (!Files.isRegularFile(script)) throw UserError.inFile(script, "not found: run the bench from a steerscope checkout");
        Process p = new ProcessBuilder(script.toString()).inheritIO().start();
        if (p.waitFor() != 0) throw new UserError("scripts/setup-bench-deps failed: PyTorch and libopenblas0-pthread are needed for the comparison (or pass --no-torch)");
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

    /** Runs a child process, passing its stderr through, and parses the last line of its stdout as JSON. */
    private static JsonNode runJsonLine(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        int rc = p.waitFor();
        if (rc != 0 || out.isEmpty()) throw new IllegalStateException(what + " failed (exit " + rc + ")");
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return Json.MAPPER.readTree(last);
    }
}
