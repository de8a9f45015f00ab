package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import steerscope.io.Json;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.ModelConfig;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;
import steerscope.tensor.DType;
import steerscope.tokenizer.BpeTrainer;
import steerscope.tokenizer.Tokenizer;

/**
 * A model exported with {@code export --format gguf} and vectors exported with {@code vectors export --format gguf},
 * run by real llama.cpp (the shared libraries of npm's @node-llama-cpp/linux-x64, driven by src/test/cpp/llama_logprobs.cpp
 * compiled here with g++; F32 KV cache, flash attention off): its next-token log-probs equal score's and score
 * --vectors'. Controls: the vectors moved one layer up do not match (an off-by-one in layer numbering would be
 * seen), a vector on block 0 is refused, and dropping it matches score without it.
 */
class LlamaCppTest {
    static final double TOL = 1e-4;
    static final String TEXT = "Please answer now. What comes first? Say something.";

    @TempDir
    static Path tmp;
    static Path bins, driver;
    /** llama.cpp's own log of every run, for when a comparison fails. */
    static final Path LOG = Path.of("target", "llama-cpp-test.log").toAbsolutePath();

    @BeforeAll
    static void llamaCpp() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        bins = root.resolve("tools/node/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
        if (!Files.isRegularFile(bins.resolve("libllama-common.so"))) {
            fail("npm package @node-llama-cpp/linux-x64 is not installed in tools/node: run scripts/setup-test-deps");
        }
        String llama = null, ggml = null;
        try (var files = Files.list(bins)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.matches("libllama\\.v.*\\.so")) llama = n;
                if (n.matches("libggml\\.v.*\\.so")) ggml = n;
            }
        }
        assertTrue(llama != null && ggml != null, "libllama / libggml not found in " + bins);
        driver = tmp.resolve("llama_logprobs");
        Files.deleteIfExists(LOG);
        List<String> cmd = List.of("g++", "-O1", "-std=c++17", "-o", driver.toString(), "-I" + root.resolve("tools/llama"), root.resolve("src/test/cpp/llama_logprobs.cpp").toString(),
                "-L" + bins, "-l:libllama-common.so", "-l:" + llama, "-l:" + ggml, "-l:libggml-base.so", "-Wl,-rpath," + bins);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "g++ hangs");
        assertEquals(0, p.exitValue(), "g++ failed (install it with scripts/setup-test-deps): " + out);
    }

    /**
     * A random 4-layer checkpoint with a byte-level BPE tokenizer: Qwen2 (q/k/v biases, untied), Llama (tied, q/k
     * permuted in GGUF), or Llama with Llama 3 rope_scaling (original context 64, so head_dim 16's frequencies fall in
     * all three bands).
     */
    static Path checkpoint(String arch, Path dir) throws Exception {
        Files.createDirectories(dir);
        List<String> corpus = List.of("Say something.", "Please answer now.", "What comes first?", "Reply with one letter.");
        new BpeTrainer(300, List.of("<|endoftext|>"), 7).train(corpus).writeTokenizerJson(dir.resolve("tokenizer.json"));
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        boolean qwen = arch.equals("qwen2");
        ModelConfig.RopeScaling scaling = arch.equals("llama3") ? new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 64) : null;
        arch = qwen ? "qwen2" : "llama";
        int V = tok.vocabSize() + 5, d = 64, L = 4, H = 4, KV = 2, hd = 16, ff = 96; // 5 embedding rows the tokenizer leaves unused
        int eos = tok.tokenId("<|endoftext|>").getAsInt();
        ModelConfig c = new ModelConfig(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM", arch, V, d, L, H, KV, hd, ff, 1e-6f, 10000.0, scaling, 256,
                !qwen, qwen, -1, new int[] {eos}, "float32");
        SplittableRandom r = new SplittableRandom(11);
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {V, d});
        if (qwen) shapes.put("lm_head.weight", new long[] {V, d});
        shapes.put("model.norm.weight", new long[] {d});
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {d});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {d});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {H * hd, d});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {KV * hd, d});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {KV * hd, d});
            if (qwen) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {H * hd});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {KV * hd});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {KV * hd});
            }
            shapes.put(p + "self_attn.o_proj.weight", new long[] {d, H * hd});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {ff, d});
            shapes.put(p + "mlp.up_proj.weight", new long[] {ff, d});
            shapes.put(p + "mlp.down_proj.weight", new long[] {d, ff});
        }
        for (var e : shapes.entrySet()) {
            long[] s = e.getValue();
            float[] a = new float[(int) (s.length == 1 ? s[0] : s[0] * s[1])];
            boolean norm = e.getKey().endsWith("norm.weight");
            double scale = norm ? 0.1 : s.length == 1 ? 0.2 : e.getKey().contains("embed") || e.getKey().contains("lm_head") ? 0.5 : 1 / Math.sqrt(s[1]);
            for (int i = 0; i < a.length; i++) a[i] = (float) ((norm ? 1 : 0) + scale * r.nextGaussian());
            w.add(e.getKey(), DType.F32, s, a);
        }
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Json.writePretty(c.toJson()));
        return dir;
    }

    static SteeringVectors vectors(int L, int d, int... layers) {
        SteeringVectors v = new SteeringVectors(L, d);
        SplittableRandom r = new SplittableRandom(5);
        for (int l : layers) {
            float[] x = new float[d];
            for (int i = 0; i < d; i++) x[i] = (float) (0.7 * r.nextGaussian());
            v.set(l, x);
        }
        return v;
    }

    static JsonNode cli(String... args) throws Exception {
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
        return args[0].equals("score") ? Json.MAPPER.readTree(r.out()) : null;
    }

    static double[] llama(Path gguf, Path cvec, JsonNode tokens) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode t : tokens) ids.add(t.asText());
        Process p = new ProcessBuilder(driver.toString(), bins.toString(), gguf.toString(), cvec == null ? "-" : cvec.toString(), String.join(",", ids))
                .redirectError(ProcessBuilder.Redirect.appendTo(LOG.toFile())).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "llama.cpp driver hangs");
        assertEquals(0, p.exitValue(), "llama.cpp driver failed: " + out + "; its log: " + LOG);
        JsonNode j = Json.MAPPER.readTree(out);
        double[] lp = new double[j.get("logprobs").size()];
        for (int i = 0; i < lp.length; i++) lp[i] = j.get("logprobs").get(i).asDouble();
        return lp;
    }

    /** llama.cpp's tokenization of TEXT, from the GGUF's tokenizer.ggml.* metadata. */
    static JsonNode llamaTokens(Path gguf, JsonNode anyIds) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode t : anyIds) ids.add(t.asText());
        Process p = new ProcessBuilder(driver.toString(), bins.toString(), gguf.toString(), "-", String.join(",", ids), TEXT)
                .redirectError(ProcessBuilder.Redirect.appendTo(LOG.toFile())).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "llama.cpp driver hangs");
        assertEquals(0, p.exitValue(), "llama.cpp driver failed: " + out + "; its log: " + LOG);
        return Json.MAPPER.readTree(out).get("tokens");
    }

    static double maxDiff(double[] llama, JsonNode score) {
        assertEquals(score.get("logprobs").size(), llama.length);
        double m = 0;
        for (int i = 0; i < llama.length; i++) m = Math.max(m, Math.abs(llama[i] - score.get("logprobs").get(i).asDouble()));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "llama", "llama3"})
    void llamaCppMatchesScoreWithAndWithoutVectors(String arch) throws Exception {
        Path dir = checkpoint(arch, tmp.resolve(arch));
        assertEquals(arch.equals("llama3"), Json.read(dir.resolve("config.json")).path("rope_scaling").isObject(), "llama3 has rope_scaling");
        Path gguf = tmp.resolve(arch + ".gguf");
        cli("export", "--model", dir.toString(), "--format", "gguf", "--out", gguf.toString());
        Path vec = tmp.resolve(arch + "-vec.safetensors"), cvec = tmp.resolve(arch + "-vec.gguf");
        VectorFiles.write(vectors(4, 64, 1, 2, 3), vec);
        cli("vectors", "export", vec.toString(), "--format", "gguf", "--out", cvec.toString());

        JsonNode plain = cli("score", "--model", dir.toString(), "--text", TEXT, "--json");
        JsonNode steered = cli("score", "--model", dir.toString(), "--vectors", vec.toString(), "--text", TEXT, "--json");
        double plainDiff = maxDiff(llama(gguf, null, plain.get("tokens")), plain);
        assertEquals(plain.get("tokens"), llamaTokens(gguf, plain.get("tokens")), "llama.cpp tokenizes TEXT as steerscope does, from the GGUF's tokenizer");
        double steeredDiff = maxDiff(llama(gguf, cvec, plain.get("tokens")), steered);
        double[] none = llama(gguf, null, plain.get("tokens"));
        double effect = maxDiff(none, steered);

        // negative control: each vector one block later (1 -> 2, 2 -> 3, 3 dropped)
        Path shifted = tmp.resolve(arch + "-shifted.gguf");
        SteeringVectors v = VectorFiles.read(vec), s = new SteeringVectors(4, 64);
        s.set(2, v.get(1));
        s.set(3, v.get(2));
        Path shiftedSt = tmp.resolve(arch + "-shifted.safetensors");
        VectorFiles.write(s, shiftedSt);
        cli("vectors", "export", shiftedSt.toString(), "--format", "gguf", "--out", shifted.toString());
        double offByOne = maxDiff(llama(gguf, shifted, plain.get("tokens")), steered);

        // block 0: refused, and with --allow-drop-layer0 the rest matches score without layer 0
        Path with0 = tmp.resolve(arch + "-with0.safetensors"), dropped = tmp.resolve(arch + "-dropped.gguf");
        VectorFiles.write(vectors(4, 64, 0, 1, 2, 3), with0);
        CliTest.Run refused = CliTest.run("vectors", "export", with0.toString(), "--format", "gguf", "--out", tmp.resolve("x.gguf").toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("layer 0") && !Files.exists(tmp.resolve("x.gguf")), refused.err());
        cli("vectors", "export", with0.toString(), "--format", "gguf", "--out", dropped.toString(), "--allow-drop-layer0");
        JsonNode without0 = cli("score", "--model", dir.toString(), "--vectors", with0.toString(), "--vector-layers", "1,2,3", "--text", TEXT, "--json");
        double droppedDiff = maxDiff(llama(gguf, dropped, plain.get("tokens")), without0);

        // the same model in BF16: the weights rounded, so close but not equal
        Path bf16 = tmp.resolve(arch + "-bf16.gguf");
        cli("export", "--model", dir.toString(), "--format", "gguf", "--out", bf16.toString(), "--dtype", "bf16");
        double bf16Diff = maxDiff(llama(bf16, cvec, plain.get("tokens")), steered);

        System.out.printf("llama.cpp vs steerscope (%s, %d tokens, F32 KV cache): plain %.3g, steered %.3g, without block 0 %.3g; "
                        + "vectors' effect %.3g, off-by-one control %.3g; BF16 GGUF %.3g%n", arch, plain.get("tokens").size(), plainDiff, steeredDiff,
                droppedDiff, effect, offByOne, bf16Diff);
        assertTrue(plainDiff < TOL && steeredDiff < TOL && droppedDiff < TOL, "plain " + plainDiff + ", steered " + steeredDiff + ", dropped " + droppedDiff);
        assertTrue(effect > 0.1, "the vectors should matter: " + effect);
        assertTrue(offByOne > 100 * TOL, "vectors one block off must not match: " + offByOne);
        assertTrue(bf16Diff < 0.5, "a BF16 GGUF should stay close: " + bf16Diff);
    }
}
