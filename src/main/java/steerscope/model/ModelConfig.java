package steerscope.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * The architecture hyper-parameters read from a Hugging Face {@code config.json} (and the end-of-sequence ids
 * of {@code generation_config.json}). Qwen2, Llama and Mistral share one decoder: pre-RMSNorm blocks with
 * RoPE attention (GQA) and a SwiGLU MLP; Qwen2 adds q/k/v biases.
 */
public record ModelConfig(
        String architecture,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int intermediateSize,
        float rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        int[] eosTokenIds,
        String torchDtype) {

    /** Llama 3's frequency-dependent RoPE scaling ({@code rope_scaling.rope_type == "llama3"}). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    public static final List<String> ARCHITECTURES = List.of("Qwen2ForCausalLM", "LlamaForCausalLM", "MistralForCausalLM");

    /** More layers than any real decoder has: the weights allocate per-layer state before checking tensors. */
    static final int MAX_LAYERS = 4096;

    public static ModelConfig load(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) throw UserError.inFile(dir, "not a model directory: config.json not found");
        JsonNode c = Json.read(file);
        if (!c.isObject()) throw UserError.inFile(file, "expected a JSON object");
        Reader r = new Reader(file, c);
        JsonNode archs = c.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw UserError.inFile(file, "field 'architectures': expected a list such as [\"Qwen2ForCausalLM\"]");
        }
        String arch = archs.get(0).asText();
        if (!ARCHITECTURES.contains(arch)) {
            throw UserError.inFile(file, "field 'architectures': unknown architecture '" + arch + "' (supported: " + String.join(", ", ARCHITECTURES) + ")");
        }
        boolean qwen = arch.equals("Qwen2ForCausalLM");
        int hidden = r.positiveInt("hidden_size");
        int heads = r.positiveInt("num_attention_heads");
        int kvHeads = c.hasNonNull("num_key_value_heads") ? r.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw UserError.inFile(file, "field 'num_key_value_heads': " + kvHeads + " does not divide num_attention_heads = " + heads);
        }
        int headDim;
        if (c.hasNonNull("head_dim")) {
            headDim = r.positiveInt("head_dim");
        } else {
            if (hidden % heads != 0) throw UserError.inFile(file, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) throw UserError.inFile(file, "head_dim " + headDim + " must be even for RoPE");
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw UserError.inFile(file, "num_attention_heads " + heads + " x head_dim " + headDim + " is too large (over 2^31)");
        }
        int layers = r.positiveInt("num_hidden_layers");
        if (layers > MAX_LAYERS) {
            throw UserError.inFile(file, "field 'num_hidden_layers': " + layers + " is more than " + MAX_LAYERS + " (no real decoder has that many)");
        }
        String act = c.hasNonNull("hidden_act") ? c.get("hidden_act").asText() : "silu";
        if (!act.equals("silu")) throw UserError.inFile(file, "field 'hidden_act': '" + act + "' is not supported (expected silu)");
        RopeScaling scaling = null;
        JsonNode rs = c.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            if (!rs.isObject()) throw UserError.inFile(file, "field 'rope_scaling': expected an object or null");
            String type = rs.hasNonNull("rope_type") ? rs.get("rope_type").asText() : rs.hasNonNull("type") ? rs.get("type").asText() : "";
            if (type.equals("llama3")) {
                Reader s = new Reader(file, rs, "rope_scaling.");
                scaling = new RopeScaling(s.positiveDouble("factor"), s.positiveDouble("low_freq_factor"),
                        s.positiveDouble("high_freq_factor"), s.positiveInt("original_max_position_embeddings"));
            } else if (!type.equals("default")) {
                throw UserError.inFile(file, "field 'rope_scaling.rope_type': '" + type + "' is not supported (expected llama3)");
            }
        }
        boolean attnBias = r.bool("attention_bias", qwen);
        int bos = c.hasNonNull("bos_token_id") && c.get("bos_token_id").isInt() ? c.get("bos_token_id").asInt() : -1;
        List<Integer> eos = new ArrayList<>(r.intOrList("eos_token_id"));
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            JsonNode g = Json.read(gen);
            Reader gr = new Reader(gen, g);
            for (int id : gr.intOrList("eos_token_id")) if (!eos.contains(id)) eos.add(id);
            if (bos < 0 && g.hasNonNull("bos_token_id") && g.get("bos_token_id").isInt()) bos = g.get("bos_token_id").asInt();
        }
        return new ModelConfig(arch,
                c.hasNonNull("model_type") ? c.get("model_type").asText() : (qwen ? "qwen2" : arch.startsWith("Mistral") ? "mistral" : "llama"),
                r.positiveInt("vocab_size"), hidden, layers, heads, kvHeads, headDim,
                r.positiveInt("intermediate_size"),
                (float) (c.hasNonNull("rms_norm_eps") ? r.positiveDouble("rms_norm_eps") : 1e-6),
                c.hasNonNull("rope_theta") ? r.positiveDouble("rope_theta") : 10000.0,
                scaling,
                contextLength(r, c, qwen, arch),
                r.bool("tie_word_embeddings", false),
                attnBias, bos, eos.stream().mapToInt(Integer::intValue).toArray(),
                c.hasNonNull("torch_dtype") ? c.get("torch_dtype").asText() : "float32");
    }

    /**
     * The positions attended in full. steerscope has no sliding-window attention, and within the window it equals
     * full causal attention, so a window that is on (Mistral's {@code sliding_window}, e.g. 4096 in Mistral-7B-v0.1;
     * Qwen2's only with {@code use_sliding_window}) caps the context: longer inputs are refused, not silently
     * attended differently from Hugging Face. A Mistral config without the key gets MistralConfig's default, 4096.
     */
    private static int contextLength(Reader r, JsonNode c, boolean qwen, String arch) {
        int max = c.hasNonNull("max_position_embeddings") ? r.positiveInt("max_position_embeddings") : 32768;
        boolean mistral = arch.startsWith("Mistral");
        if (mistral && !c.has("sliding_window")) return Math.min(max, 4096);
        boolean windowOn = mistral || (qwen && r.bool("use_sliding_window", false));
        if (windowOn && c.hasNonNull("sliding_window")) max = Math.min(max, r.positiveInt("sliding_window"));
        return max;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public boolean isEos(int id) {
        for (int e : eosTokenIds) if (e == id) return true;
        return false;
    }

    /** Parameter count as stored in the checkpoint (tied embeddings counted once). */
    public long parameterCount() {
        long d = hiddenSize, perLayer = d * qDim() + 2 * d * kvDim() + (long) qDim() * d + 3 * d * intermediateSize + 2 * d;
        if (attentionBias) perLayer += qDim() + 2L * kvDim();
        long total = perLayer * nLayers + (long) vocabSize * d + d;
        if (!tieWordEmbeddings) total += (long) vocabSize * d;
        return total;
    }

    /** The config.json a checkpoint of this shape is saved with (the organism writes it). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(architecture));
        m.put("model_type", modelType);
        m.put("vocab_size", vocabSize);
        m.put("hidden_size", hiddenSize);
        m.put("intermediate_size", intermediateSize);
        m.put("num_hidden_layers", nLayers);
        m.put("num_attention_heads", nHeads);
        m.put("num_key_value_heads", nKvHeads);
        m.put("head_dim", headDim);
        m.put("hidden_act", "silu");
        m.put("rms_norm_eps", rmsNormEps);
        m.put("rope_theta", ropeTheta);
        if (ropeScaling != null) {
            Map<String, Object> rs = new LinkedHashMap<>();
            rs.put("rope_type", "llama3");
            rs.put("factor", ropeScaling.factor());
            rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
            rs.put("high_freq_factor", ropeScaling.highFreqFactor());
            rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            m.put("rope_scaling", rs);
        }
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("attention_bias", attentionBias);
        m.put("bos_token_id", bosTokenId);
        m.put("eos_token_id", eosTokenIds.length == 1 ? eosTokenIds[0] : eosTokenIds);
        m.put("torch_dtype", torchDtype);
        return m;
    }

    /** Typed field access that names the file and field in every error. */
    private record Reader(Path file, JsonNode node, String prefix) {
        Reader(Path file, JsonNode node) {
            this(file, node, "");
        }

        int positiveInt(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw UserError.inFile(file, "missing field '" + prefix + field + "'");
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
                throw UserError.inFile(file, "field '" + prefix + field + "': expected a positive integer, got " + v);
            }
            return v.asInt();
        }

        double positiveDouble(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw UserError.inFile(file, "missing field '" + prefix + field + "'");
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw UserError.inFile(file, "field '" + prefix + field + "': expected a positive number, got " + v);
            }
            return v.asDouble();
        }

        /** A JSON true/false; a string such as "yes" is an error rather than silently false. */
        boolean bool(String field, boolean absent) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return absent;
            if (!v.isBoolean()) throw UserError.inFile(file, "field '" + prefix + field + "': expected true or false, got " + v);
            return v.asBoolean();
        }

        List<Integer> intOrList(String field) {
            JsonNode v = node.get(field);
            List<Integer> out = new ArrayList<>();
            if (v == null || v.isNull()) return out;
            if (v.isInt()) {
                out.add(v.asInt());
            } else if (v.isArray()) {
                for (JsonNode e : v) {
                    if (!e.isInt()) throw UserError.inFile(file, "field '" + prefix + field + "': expected integers, got " + e);
                    out.add(e.asInt());
                }
            } else {
                throw UserError.inFile(file, "field '" + prefix + field + "': expected an integer or a list of integers, got " + v);
            }
            return out;
        }
    }
}
