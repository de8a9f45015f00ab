package steerscope.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import steerscope.io.GgufWriter;
import steerscope.io.GgufWriter.TensorType;
import steerscope.io.Json;
import steerscope.tensor.DType;
import steerscope.tensor.Mat;
import steerscope.tokenizer.BpeTrainer;
import steerscope.util.UserError;

/**
 * A checkpoint as a llama.cpp GGUF model, laid out as llama.cpp's convert_hf_to_gguf.py lays it: architecture
 * hyperparameters, the byte-level BPE tokenizer ({@code tokenizer.ggml.*}: tokens, token types, merges, special
 * ids, the pre-tokenizer's name, the chat template) and the weights under llama.cpp's tensor names. Matrices are
 * written in the chosen dtype, norms and biases in F32. Llama/Mistral q/k rows are permuted, because llama.cpp's
 * llama graph rotates interleaved pairs where Hugging Face rotates halves; Qwen2's graph rotates halves itself.
 * Llama 3's rope_scaling becomes {@code rope_freqs.weight}, a divisor per rotary frequency.
 */
public final class GgufModelExport {
    /** Pre-tokenizer regexes llama.cpp knows by name (tokenizer.ggml.pre). */
    private static final Map<String, String> PRE = Map.of(
            BpeTrainer.QWEN2_PATTERN, "qwen2",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "llama-bpe");

    static final int TOKEN_NORMAL = 1, TOKEN_CONTROL = 3, TOKEN_USER_DEFINED = 4, TOKEN_UNUSED = 5;

    private GgufModelExport() {}

    /** The dtype a checkpoint exports to by default: what it stores. */
    public static TensorType defaultType(Model m) {
        DType d = m.weights.dtype();
        return d == DType.BF16 ? TensorType.BF16 : d == DType.F16 ? TensorType.F16 : TensorType.F32;
    }

    /** Writes {@code m} (with {@code tokenizer.json} and {@code tokenizer_config.json} from its directory) to {@code out}. */
    public static void write(Model m, TensorType type, boolean addBos, Path out) {
        ModelConfig c = m.config;
        String arch = switch (c.modelType()) {
            case "qwen2" -> "qwen2";
            case "llama", "mistral" -> "llama";
            default -> throw UserError.inFile(m.dir.resolve("config.json"), "model_type '" + c.modelType() + "' has no GGUF export (qwen2, llama, mistral)");
        };
        if (m.weights.downProjBiasLayers().length > 0) {
            throw UserError.inFile(m.dir, "carries mlp.down_proj.bias (the paper's vectors), which llama.cpp's graph has no slot for: export the base "
                    + "without them, and the vectors with 'vectors import --from-checkpoint' then 'vectors export --format gguf' as a control vector");
        }
        boolean permute = arch.equals("llama");
        GgufWriter g = new GgufWriter();
        g.string("general.architecture", arch);
        g.string("general.name", m.dir.toAbsolutePath().normalize().getFileName().toString());
        g.uint32("general.file_type", switch (type) { case F32 -> 0; case F16 -> 1; case BF16 -> 32; });
        g.uint32(arch + ".context_length", c.maxPositionEmbeddings());
        g.uint32(arch + ".embedding_length", c.hiddenSize());
        g.uint32(arch + ".block_count", c.nLayers());
        g.uint32(arch + ".feed_forward_length", c.intermediateSize());
        g.uint32(arch + ".attention.head_count", c.nHeads());
        g.uint32(arch + ".attention.head_count_kv", c.nKvHeads());
        g.uint32(arch + ".attention.key_length", c.headDim());
        g.uint32(arch + ".attention.value_length", c.headDim());
        g.uint32(arch + ".rope.dimension_count", c.headDim());
        g.float32(arch + ".rope.freq_base", (float) c.ropeTheta());
        g.float32(arch + ".attention.layer_norm_rms_epsilon", c.rmsNormEps());
        g.uint32(arch + ".vocab_size", c.vocabSize());
        tokenizer(g, m.dir, c, addBos);

        ModelWeights w = m.weights;
        if (c.ropeScaling() != null) {
            // Llama 3's scaling, as llama.cpp takes it: a divisor per frequency (convert_hf_to_gguf.py's rope_freqs)
            float[] plain = Rope.inverseFrequencies(c, false), scaled = Rope.inverseFrequencies(c, true);
            float[] factors = new float[plain.length];
            for (int i = 0; i < factors.length; i++) factors[i] = (float) ((double) plain[i] / scaled[i]);
            vector(g, "rope_freqs.weight", factors);
        }
        matrix(g, GlobalTensor.EMBED.gguf, w.embed, type, 0);
        vector(g, GlobalTensor.FINAL_NORM.gguf, w.finalNorm);
        if (w.lmHead != w.embed) matrix(g, GlobalTensor.LM_HEAD.gguf, w.lmHead, type, 0);
        for (int l = 0; l < c.nLayers(); l++) {
            ModelWeights.Layer L = w.layers[l];
            for (LayerTensor t : LayerTensor.values()) {
                if (t.gguf == null || !t.isMatrix() && t.vec(L) == null) continue;
                String name = "blk." + l + "." + t.gguf;
                int heads = !permute ? 0 : t == LayerTensor.Q || t == LayerTensor.Q_BIAS ? c.nHeads()
                        : t == LayerTensor.K || t == LayerTensor.K_BIAS ? c.nKvHeads() : 0;
                if (t.isMatrix()) matrix(g, name, t.mat(L), type, heads);
                else vector(g, name, heads > 0 ? permuteRows(t.vec(L), heads) : t.vec(L));
            }
        }
        g.write(out);
    }

    /** tokenizer.ggml.*: gpt2-style byte-level BPE, as llama.cpp reads it. */
    private static void tokenizer(GgufWriter g, Path dir, ModelConfig c, boolean addBos) {
        Path tj = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tj)) throw UserError.inFile(dir, "no tokenizer.json (a GGUF model carries its tokenizer)");
        JsonNode root = Json.read(tj);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) throw UserError.inFile(tj, "model.type is '" + model.path("type").asText() + "', expected BPE");
        int V = c.vocabSize();
        String[] tokens = new String[V];
        int[] types = new int[V];
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= V) throw UserError.inFile(tj, "model.vocab['" + e.getKey() + "'] = " + e.getValue() + " is outside config.json's vocab_size " + V);
            tokens[id] = e.getKey();
            types[id] = TOKEN_NORMAL;
        }
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || id >= V) throw UserError.inFile(tj, "added_tokens id " + a.path("id") + " is outside config.json's vocab_size " + V);
            tokens[id] = a.path("content").asText();
            types[id] = a.path("special").asBoolean() ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
        }
        for (int i = 0; i < V; i++) {
            if (tokens[i] == null) { // rows of the embedding the tokenizer does not use, as convert_hf_to_gguf.py fills them
                tokens[i] = "[PAD" + i + "]";
                types[i] = TOKEN_UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode mg : model.path("merges")) {
            merges.add(mg.isArray() ? mg.get(0).asText() + " " + mg.get(1).asText() : mg.asText());
        }
        g.string("tokenizer.ggml.model", "gpt2");
        g.string("tokenizer.ggml.pre", preTokenizerName(tj, root));
        g.strings("tokenizer.ggml.tokens", List.of(tokens));
        g.int32s("tokenizer.ggml.token_type", types);
        g.strings("tokenizer.ggml.merges", merges);
        if (c.bosTokenId() >= 0) g.uint32("tokenizer.ggml.bos_token_id", c.bosTokenId());
        if (c.eosTokenIds().length > 0) g.uint32("tokenizer.ggml.eos_token_id", c.eosTokenIds()[0]);
        g.bool("tokenizer.ggml.add_bos_token", addBos);
        String template = chatTemplate(dir);
        if (template != null) g.string("tokenizer.chat_template", template);
    }

    private static String preTokenizerName(Path tj, JsonNode root) {
        List<String> regexes = new ArrayList<>();
        root.path("pre_tokenizer").findValues("Regex").forEach(r -> regexes.add(r.asText()));
        if (regexes.size() == 1 && PRE.containsKey(regexes.get(0))) return PRE.get(regexes.get(0));
        throw UserError.inFile(tj, "pre_tokenizer: expected the one Split regex of Qwen2 or Llama 3 (the ones llama.cpp knows as qwen2 and "
                + "llama-bpe), found " + regexes);
    }

    private static String chatTemplate(Path dir) {
        Path tc = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(tc)) return null;
        JsonNode t = Json.read(tc).path("chat_template");
        if (t.isTextual()) return t.asText();
        for (JsonNode named : t) if ("default".equals(named.path("name").asText())) return named.path("template").asText();
        return null;
    }

    private static void vector(GgufWriter g, String name, float[] v) {
        g.tensor(name, v);
    }

    /** A [rows, cols] matrix (ggml dims {cols, rows}), rows optionally permuted for llama.cpp's rotary layout. */
    private static void matrix(GgufWriter g, String name, Mat m, TensorType type, int permuteHeads) {
        g.tensor(name, new long[] {m.cols, m.rows}, type, out -> {
            float[] row = new float[m.cols];
            for (int r = 0; r < m.rows; r++) {
                m.loadRow(permuteHeads > 0 ? permutedSource(r, m.rows / permuteHeads) : r, row, 0);
                for (float f : row) {
                    switch (type) {
                        case F32 -> out.f32(f);
                        case F16 -> out.u16(Float.floatToFloat16(f));
                        case BF16 -> out.u16(DType.floatToBf16(f));
                    }
                }
            }
        });
    }

    /**
     * convert_hf_to_gguf.py's permute: within each head of hd rows, output row 2i+j comes from row j*hd/2+i, so the
     * halves Hugging Face rotates together become the adjacent pairs llama.cpp rotates together.
     */
    static int permutedSource(int r, int hd) {
        int head = r / hd, k = r % hd, i = k / 2, j = k % 2;
        return head * hd + j * (hd / 2) + i;
    }

    private static float[] permuteRows(float[] v, int heads) {
        float[] out = new float[v.length];
        for (int r = 0; r < v.length; r++) out[r] = v[permutedSource(r, v.length / heads)];
        return out;
    }
}
