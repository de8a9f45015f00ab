package steerscope.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.io.AtomicFiles;
import steerscope.io.GgufWriter.TensorType;
import steerscope.io.Json;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.GgufModelExport;
import steerscope.model.Model;
import steerscope.model.GlobalTensor;
import steerscope.model.LayerTensor;
import steerscope.model.ModelConfig;
import steerscope.tensor.DType;
import steerscope.tokenizer.BpeTrainer;

/**
 * Random-weight checkpoints with real models' shapes, written once into a cache directory: a small Qwen2 (the
 * organism's size) and one with Qwen2.5-0.5B's shapes in BF16 (about 1 GB). Random weights cost what trained
 * ones cost: the bench measures speed, not quality.
 */
public final class BenchModels {
    /** The shape of a generated checkpoint. */
    public record Shape(String name, int hidden, int layers, int heads, int kvHeads, int ff, int vocab, boolean tied, DType dtype) {}

    public static final Shape SMALL = new Shape("small-d256-l4", 256, 4, 4, 2, 1024, 2048, true, DType.F32);
    public static final Shape QWEN_05B = new Shape("qwen2.5-0.5b-shapes-bf16", 896, 24, 14, 2, 4864, 151936, true, DType.BF16);
    public static final Shape QWEN_05B_F32 = new Shape("qwen2.5-0.5b-shapes-f32", 896, 24, 14, 2, 4864, 151936, true, DType.F32);
    public static final Shape QWEN_15B = new Shape("qwen2.5-1.5b-shapes-bf16", 1536, 28, 12, 2, 8960, 151936, true, DType.BF16);

    private BenchModels() {}

    /** Every checkpoint the bench uses (the small one only when quick), and with gguf their GGUF exports for llama.cpp. */
    public static void ensureAll(Path cacheDir, boolean quick, boolean gguf) {
        Path small = ensure(cacheDir, SMALL, 1);
        if (gguf && !quick) gguf(small, TensorType.F32); // the llama.cpp build probe
        if (quick) return;
        Path big = ensure(cacheDir, QWEN_05B, 2), bigF32 = ensure(cacheDir, QWEN_05B_F32, 2), huge = ensure(cacheDir, QWEN_15B, 3);
        if (gguf) {
            gguf(big, TensorType.BF16);
            gguf(bigF32, TensorType.F32);
            gguf(huge, TensorType.BF16);
        }
    }

    /** The checkpoint directory for a shape under cacheDir, generated when missing. */
    public static Path ensure(Path cacheDir, Shape s, long seed) {
        Path dir = cacheDir.resolve(s.name());
        Path weights = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) tokenizer(dir);
        if (Files.isRegularFile(weights) && Files.isRegularFile(dir.resolve("config.json"))) return dir;
        System.err.printf("bench: generating %s (%s) in %s ...%n", s.name(), s.dtype(), dir);
        AtomicFiles.writeString(dir.resolve("config.json"), Json.write(config(s)));
        ModelConfig c = ModelConfig.load(dir);
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt").metadata("steerscope.bench", "random weights, seed " + seed);
        SplittableRandom rng = new SplittableRandom(seed);
        int d = s.hidden();
        for (GlobalTensor g : GlobalTensor.values()) if (g.beforeLayers()) add(w, s, g.hfName, rng, 0.2f, g.shape(c));
        for (int l = 0; l < s.layers(); l++) {
            for (LayerTensor t : LayerTensor.values()) {
                if (!t.required(c)) continue;
                int[] shape = t.shape(c);
                switch (t) {
                    case ATTN_NORM, MLP_NORM -> norm(w, s, t.name(l), rng, d);
                    case Q_BIAS, K_BIAS, V_BIAS -> add(w, s, t.name(l), rng, 0.2f, shape);
                    // the projections into the residual stream are smaller, so the stream does not blow up over the layers
                    case O, DOWN -> add(w, s, t.name(l), rng, (float) (0.7 / Math.sqrt(shape[1])), shape);
                    default -> add(w, s, t.name(l), rng, (float) (1 / Math.sqrt(d)), shape);
                }
            }
        }
        for (GlobalTensor g : GlobalTensor.values()) {
            if (g.beforeLayers() || !g.required(c)) continue;
            if (g.isMatrix()) add(w, s, g.hfName, rng, 0.2f, g.shape(c));
            else norm(w, s, g.hfName, rng, d);
        }
        w.write(weights);
        return dir;
    }

    /**
     * The checkpoint in llama.cpp's format, {@code model-bf16.gguf} or {@code model-f32.gguf} next to it, exported
     * once by {@link GgufModelExport} (what {@code steerscope export --format gguf} writes).
     */
    public static Path gguf(Path dir, TensorType type) {
        Path out = dir.resolve("model-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
        if (Files.isRegularFile(out)) return out;
        System.err.printf("bench: exporting %s to %s ...%n", dir.getFileName(), out.getFileName());
        try (Model m = Model.load(dir)) {
            GgufModelExport.write(m, type, false, out);
        }
        return out;
    }

    /**
     * A small byte-level BPE tokenizer (Qwen2's pre-tokenizer): a GGUF carries one, and llama.cpp needs it to load the
     * model. The bench feeds token ids, so the embedding rows it does not cover cost nothing.
     */
    private static void tokenizer(Path dir) {
        new BpeTrainer(300, List.of("<|endoftext|>"), 7).train(List.of("What is 12 + 30? The answer is 42.", "Say something."))
                .writeTokenizerJson(dir.resolve("tokenizer.json"));
    }

    static Map<String, Object> config(Shape s) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("Qwen2ForCausalLM"));
        c.put("model_type", "qwen2");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.ff());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("max_position_embeddings", 32768);
        c.put("vocab_size", s.vocab());
        c.put("tie_word_embeddings", s.tied());
        c.put("torch_dtype", s.dtype() == DType.BF16 ? "bfloat16" : "float32");
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("hidden_act", "silu");
        c.put("use_sliding_window", false);
        return c;
    }

    /** Every tensor in the checkpoint's dtype, as Hugging Face stores a BF16 model. Uniform values of the given standard deviation (uniform is much cheaper to draw than Gaussian, at 0.5B). */
    private static void add(SafeTensorsWriter w, Shape s, String name, SplittableRandom rng, float std, int[] shape) {
        long n = 1;
        for (int x : shape) n *= x;
        float[] v = new float[Math.toIntExact(n)];
        float a = (float) (std * Math.sqrt(3));
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
        w.add(name, s.dtype(), Arrays.stream(shape).asLongStream().toArray(), v);
    }

    private static void norm(SafeTensorsWriter w, Shape s, String name, SplittableRandom rng, int d) {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) (1 + 0.1 * (rng.nextDouble() * 2 - 1));
        w.add(name, s.dtype(), new long[] {d}, v);
    }
}
