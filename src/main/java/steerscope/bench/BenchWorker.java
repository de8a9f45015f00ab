package steerscope.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import steerscope.io.Json;
import steerscope.model.Model;
import steerscope.tensor.Backend;
import steerscope.tensor.NativeMatmul;
import steerscope.tensor.Parallel;
import steerscope.util.PeakMemory;

/**
 * One bench case in its own JVM, so its peak RSS is its own: {@code BenchWorker CASE key=value...}. Prints one JSON
 * line (times, median, tokens, peak RSS). Cases: prefill, decode, rl, rl-recompute, full (with model, batch, tokens, steps,
 * warmup, repeats, budget, seed, kernels: java or native), limits (with bytes: the STREAM array size) and product
 * (one matmul by CPU time, {@link ProductBench}; native_min_rows=N moves the native backend's row threshold) and models
 * (with cache, quick, gguf: generates the bench checkpoints, {@link BenchModels#ensureAll}).
 */
public final class BenchWorker {
    private BenchWorker() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            a.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        int threads = Integer.parseInt(a.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        Parallel.setThreads(threads);
        Backend.select(a.getOrDefault("kernels", "java"));
        if (a.containsKey("native_min_rows")) Backend.use(Backend.current(), Integer.parseInt(a.get("native_min_rows")));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("case", args[0]);
        out.put("threads", threads);
        if (args[0].equals("models")) {
            BenchModels.ensureAll(Path.of(a.get("cache")), Boolean.parseBoolean(a.get("quick")), Boolean.parseBoolean(a.get("gguf")));
        } else if (args[0].equals("product")) {
            out.putAll(ProductBench.run(a));
        } else if (args[0].equals("limits")) {
            MachineLimits.Limits l = MachineLimits.measure(threads, Long.parseLong(a.get("bytes")));
            out.put("fma_gflops", l.fmaGflops());
            out.put("read_gbs", l.readGBs());
            out.put("copy_gbs", l.copyGBs());
            out.put("triad_gbs", l.triadGBs());
            // the BF16 dot-product peak, measurable only through oneDNN (the Vector API has no BF16 dot product); a CPU
            // or library without a BF16 matmul leaves it unmeasured, with the reason, rather than failing the bench
            Double bf16 = null;
            if (NativeMatmul.available()) {
                try {
                    bf16 = NativeMatmul.bf16PeakGflops(2048, 10);
                } catch (IllegalStateException e) {
                    out.put("bf16_error", e.getMessage());
                }
            } else {
                out.put("bf16_error", NativeMatmul.loadError());
            }
            out.put("bf16_gflops", bf16);
        } else {
            int B = Integer.parseInt(a.get("batch")), T = Integer.parseInt(a.get("tokens"));
            long seed = Long.parseLong(a.getOrDefault("seed", "1234"));
            Workloads.Plan plan = new Workloads.Plan(Integer.parseInt(a.get("warmup")), Integer.parseInt(a.get("repeats")),
                    Double.parseDouble(a.get("budget")));
            try (Model m = Model.load(Path.of(a.get("model")))) {
                Workloads.Timing t = switch (args[0]) {
                    case "prefill" -> Workloads.prefill(m, B, T, seed, plan);
                    case "decode" -> Workloads.decode(m, B, T, Integer.parseInt(a.get("steps")), seed, plan);
                    case "rl" -> Workloads.rlStep(m, B, T, seed, plan, false);
                    case "rl-recompute" -> Workloads.rlStep(m, B, T, seed, plan, true);
                    case "full" -> Workloads.fullStep(m, B, T, seed, plan);
                    default -> throw new IllegalArgumentException("unknown case " + args[0]);
                };
                out.put("times", t.times());
                out.put("median_s", t.median());
                out.put("tokens", t.tokens());
                out.put("activation_bytes", t.activationBytes());
            }
        }
        out.put("kernels", Backend.describe());
        if (Backend.current() == Backend.NATIVE) out.put("native_implementations", NativeMatmul.implementations());
        out.put("peak_rss_bytes", Math.max(0, PeakMemory.statusBytes("VmHWM")));
        out.put("rss_file_bytes", Math.max(0, PeakMemory.statusBytes("RssFile")));
        out.put("rss_anon_bytes", Math.max(0, PeakMemory.statusBytes("RssAnon")));
        out.put("heap_peak_committed_bytes", PeakMemory.heapCommittedBytes());
        System.out.println(Json.write(out));
        System.out.flush();
        System.exit(0); // the pool's threads are not daemons
    }
}
