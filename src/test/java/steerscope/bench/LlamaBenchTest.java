package steerscope.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.GgufWriter.TensorType;
import steerscope.io.Json;

/**
 * The llama.cpp side of the bench: scripts/setup-bench-deps builds tools/llama/llama_bench.cpp against npm's
 * llama.cpp libraries, and the driver runs a generated bench checkpoint exported to GGUF (BF16 and F32), prefill and
 * batched greedy decode, reporting its times, the CPU backend ggml loaded and the build. One thread, so the run does
 * not depend on two cores being free at once.
 */
class LlamaBenchTest {
    @TempDir
    static Path tmp;
    static Path root, driver, bins;

    @BeforeAll
    static void build() throws Exception {
        root = Path.of("").toAbsolutePath();
        Process p = new ProcessBuilder(root.resolve("scripts/setup-bench-deps").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "setup-bench-deps hangs");
        assertEquals(0, p.exitValue(), "scripts/setup-bench-deps failed: " + out);
        driver = root.resolve("target/llama/llama_bench");
        bins = root.resolve("tools/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
        assertTrue(Files.isExecutable(driver), driver + " not built");
    }

    static Process start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(driver.toString(), bins.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static JsonNode run(String... args) throws Exception {
        Process p = start(args);
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "llama_bench hangs");
        assertEquals(0, p.exitValue(), "llama_bench " + String.join(" ", args) + ": " + out);
        return Json.MAPPER.readTree(out);
    }

    @Test
    void prefillAndBatchedDecodeOnBothDtypes() throws Exception {
        Path dir = BenchModels.ensure(tmp, BenchModelsTest.TINY, 7);
        for (TensorType type : List.of(TensorType.BF16, TensorType.F32)) {
            Path gguf = BenchModels.gguf(dir, type);
            JsonNode pre = run(gguf.toString(), "1", "prefill", "2", "16", "0", "1", "3", "60");
            assertEquals(32, pre.get("tokens").asLong(), "2 x 16 tokens per prefill");
            assertEquals(3, pre.get("times").size());
            JsonNode dec = run(gguf.toString(), "1", "decode", "3", "8", "4", "1", "2", "60");
            assertEquals(12, dec.get("tokens").asLong(), "3 rows x 4 steps per repeat");
            assertEquals(2, dec.get("times").size());
            for (JsonNode j : List.of(pre, dec)) {
                assertTrue(j.get("median_s").asDouble() > 0, j.toString());
                assertTrue(j.get("peak_rss_bytes").asLong() >= j.get("rss_file_bytes").asLong() + j.get("rss_anon_bytes").asLong(), "the peak is at least the end's resident set: " + j);
                assertTrue(Path.of(j.get("cpu_backend").asText()).getFileName().toString().matches("libggml-cpu-[a-z0-9]+\\.so"), j.toString());
                assertTrue(j.get("build").asText().matches("b\\d+ \\([0-9a-f]{7,}\\)"), j.toString());
                assertTrue(j.get("system_info").asText().contains("CPU :"), j.toString());
            }
        }
        long before = Files.getLastModifiedTime(dir.resolve("model-bf16.gguf")).toMillis();
        BenchModels.gguf(dir, TensorType.BF16);
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("model-bf16.gguf")).toMillis(), "exported once, then reused");
    }

    @Test
    void refusesAnUnknownCase() throws Exception {
        Path gguf = BenchModels.gguf(BenchModels.ensure(tmp, BenchModelsTest.TINY, 7), TensorType.F32);
        Process p = start(gguf.toString(), "1", "train", "1", "8", "0", "0", "1", "1");
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals(3, p.exitValue());
    }
}
