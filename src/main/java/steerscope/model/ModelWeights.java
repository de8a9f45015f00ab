package steerscope.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.tensor.Mat;
import steerscope.util.UserError;

/**
 * The weights of a decoder, named after the Hugging Face tensors they come from. Matrices stay memory-mapped
 * in their stored dtype; norms and biases (tiny) are F32 arrays. {@link #trainableCopy()} gives an all-F32
 * heap copy for full fine-tuning.
 */
public final class ModelWeights implements AutoCloseable {
    /** One decoder block. Linear weights are [out, in]. Biases are null unless the model has them. */
    public static final class Layer {
        public Mat wq, wk, wv, wo, wGate, wUp, wDown;
        public float[] bq, bk, bv;
        /**
         * {@code mlp.down_proj.bias}: null in Qwen2/Llama/Mistral; a checkpoint of the paper's authors carries it,
         * their steering vector, added to the MLP output and so to {@code hook_resid_post} at every position.
         * Frozen in full fine-tuning (no gradient), kept when the weights are saved.
         */
        public float[] bDown;
        public float[] attnNorm, mlpNorm;
    }

    public final ModelConfig config;
    public Mat embed;
    public Mat lmHead; // the same object as embed when tied
    public float[] finalNorm;
    public final Layer[] layers;
    private final List<SafeTensors> files;

    private ModelWeights(ModelConfig config, List<SafeTensors> files) {
        this.config = config;
        this.files = files;
        this.layers = new Layer[config.nLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = new Layer();
    }

    /** Opens model.safetensors, or the shards listed in model.safetensors.index.json, and checks every tensor. */
    public static ModelWeights load(Path dir, ModelConfig config) {
        Map<String, SafeTensors> byTensor = new LinkedHashMap<>();
        List<SafeTensors> files = new ArrayList<>();
        Path source; // where a tensor name should have been found: the index, or the single file
        try {
            Path index = dir.resolve("model.safetensors.index.json");
            Path single = dir.resolve("model.safetensors");
            if (Files.isRegularFile(index)) {
                source = index;
                JsonNode map = Json.read(index).get("weight_map");
                if (map == null || !map.isObject()) throw UserError.inFile(index, "missing object field 'weight_map'");
                Map<String, SafeTensors> byFile = new LinkedHashMap<>();
                for (var it = map.fields(); it.hasNext(); ) {
                    var e = it.next();
                    String shard = e.getValue().asText();
                    if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                        throw UserError.inFile(index, "weight_map['" + e.getKey() + "']: shard name '" + shard + "' must be a plain file name");
                    }
                    SafeTensors st = byFile.get(shard);
                    if (st == null) {
                        st = SafeTensors.open(dir.resolve(shard));
                        byFile.put(shard, st);
                        files.add(st);
                    }
                    if (!st.has(e.getKey())) throw UserError.inFile(dir.resolve(shard), "missing tensor '" + e.getKey() + "' listed in " + index.getFileName());
                    byTensor.put(e.getKey(), st);
                }
            } else if (Files.isRegularFile(single)) {
                source = single;
                SafeTensors st = SafeTensors.open(single);
                files.add(st);
                for (String name : st.entries().keySet()) byTensor.put(name, st);
            } else {
                throw UserError.inFile(dir, "no model.safetensors or model.safetensors.index.json");
            }
            ModelWeights w = new ModelWeights(config, files);
            w.bind(byTensor, source);
            return w;
        } catch (RuntimeException e) {
            files.forEach(SafeTensors::close);
            throw e;
        }
    }

    private void bind(Map<String, SafeTensors> byTensor, Path source) {
        ModelConfig c = config;
        int d = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        Binder b = new Binder(byTensor, source);
        embed = b.mat("model.embed_tokens.weight", c.vocabSize(), d);
        finalNorm = b.vec("model.norm.weight", d);
        if (c.tieWordEmbeddings() && !byTensor.containsKey("lm_head.weight")) {
            lmHead = embed;
        } else {
            lmHead = b.mat("lm_head.weight", c.vocabSize(), d);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            Layer L = layers[l];
            L.attnNorm = b.vec(p + "input_layernorm.weight", d);
            L.mlpNorm = b.vec(p + "post_attention_layernorm.weight", d);
            L.wq = b.mat(p + "self_attn.q_proj.weight", q, d);
            L.wk = b.mat(p + "self_attn.k_proj.weight", kv, d);
            L.wv = b.mat(p + "self_attn.v_proj.weight", kv, d);
            L.wo = b.mat(p + "self_attn.o_proj.weight", d, q);
            if (c.attentionBias()) {
                L.bq = b.vec(p + "self_attn.q_proj.bias", q);
                L.bk = b.vec(p + "self_attn.k_proj.bias", kv);
                L.bv = b.vec(p + "self_attn.v_proj.bias", kv);
            }
            L.wGate = b.mat(p + "mlp.gate_proj.weight", ff, d);
            L.wUp = b.mat(p + "mlp.up_proj.weight", ff, d);
            L.wDown = b.mat(p + "mlp.down_proj.weight", d, ff);
            if (byTensor.containsKey(p + "mlp.down_proj.bias")) L.bDown = b.vec(p + "mlp.down_proj.bias", d);
        }
    }

    private record Binder(Map<String, SafeTensors> byTensor, Path source) {
        SafeTensors.Entry entry(String name, long... shape) {
            SafeTensors st = byTensor.get(name);
            if (st == null) throw UserError.inFile(source, "missing tensor '" + name + "'");
            SafeTensors.Entry e = st.entry(name);
            if (!java.util.Arrays.equals(e.shape(), shape)) {
                throw UserError.inFile(st.file(), "tensor '" + name + "' has shape " + e.shapeString()
                        + " but config.json implies " + java.util.Arrays.toString(shape));
            }
            return e;
        }

        Mat mat(String name, int rows, int cols) {
            SafeTensors.Entry e = entry(name, rows, cols);
            return Mat.mapped(byTensor.get(name).segment(name), e.dtype(), rows, cols);
        }

        float[] vec(String name, int n) {
            entry(name, n);
            return byTensor.get(name).floats(name);
        }
    }

    /** The layers whose {@code mlp.down_proj} has a bias (the paper's steering vectors), in order. */
    public int[] downProjBiasLayers() {
        return java.util.stream.IntStream.range(0, layers.length).filter(l -> layers[l].bDown != null).toArray();
    }

    /** The dtype of the (first) weight matrix, as stored. */
    public steerscope.tensor.DType dtype() {
        return embed.dtype;
    }

    /** Calls fn(hfName, matrix) for every weight matrix, in checkpoint order (tied lm_head is skipped). */
    public void forEachMat(BiConsumer<String, Mat> fn) {
        fn.accept("model.embed_tokens.weight", embed);
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            Layer L = layers[l];
            fn.accept(p + "self_attn.q_proj.weight", L.wq);
            fn.accept(p + "self_attn.k_proj.weight", L.wk);
            fn.accept(p + "self_attn.v_proj.weight", L.wv);
            fn.accept(p + "self_attn.o_proj.weight", L.wo);
            fn.accept(p + "mlp.gate_proj.weight", L.wGate);
            fn.accept(p + "mlp.up_proj.weight", L.wUp);
            fn.accept(p + "mlp.down_proj.weight", L.wDown);
        }
        if (lmHead != embed) fn.accept("lm_head.weight", lmHead);
    }

    /** Calls fn(hfName, values) for every norm weight and bias. */
    public void forEachVec(BiConsumer<String, float[]> fn) {
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            Layer L = layers[l];
            fn.accept(p + "input_layernorm.weight", L.attnNorm);
            fn.accept(p + "post_attention_layernorm.weight", L.mlpNorm);
            if (L.bq != null) {
                fn.accept(p + "self_attn.q_proj.bias", L.bq);
                fn.accept(p + "self_attn.k_proj.bias", L.bk);
                fn.accept(p + "self_attn.v_proj.bias", L.bv);
            }
            if (L.bDown != null) fn.accept(p + "mlp.down_proj.bias", L.bDown);
        }
        fn.accept("model.norm.weight", finalNorm);
    }

    /** An all-F32 heap copy whose arrays an optimizer can update in place (for full fine-tuning). */
    public ModelWeights trainableCopy() {
        ModelWeights w = new ModelWeights(config, List.of());
        w.embed = embed.toF32Copy();
        w.lmHead = lmHead == embed ? w.embed : lmHead.toF32Copy();
        w.finalNorm = finalNorm.clone();
        for (int l = 0; l < layers.length; l++) {
            Layer s = layers[l], t = w.layers[l];
            t.wq = s.wq.toF32Copy(); t.wk = s.wk.toF32Copy(); t.wv = s.wv.toF32Copy(); t.wo = s.wo.toF32Copy();
            t.wGate = s.wGate.toF32Copy(); t.wUp = s.wUp.toF32Copy(); t.wDown = s.wDown.toF32Copy();
            t.attnNorm = s.attnNorm.clone(); t.mlpNorm = s.mlpNorm.clone();
            t.bq = s.bq == null ? null : s.bq.clone();
            t.bk = s.bk == null ? null : s.bk.clone();
            t.bv = s.bv == null ? null : s.bv.clone();
            t.bDown = s.bDown == null ? null : s.bDown.clone();
        }
        return w;
    }

    /**
     * The F32 arrays of a {@link #trainableCopy} by checkpoint name (the names {@link Gradients#forEachWeight} uses),
     * for pairing each weight with its gradient in an optimizer.
     */
    public Map<String, float[]> arraysByName() {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        forEachMat((n, m) -> {
            if (!m.isHeap()) throw new IllegalStateException(n + " is not an F32 heap array: take a trainableCopy() first");
            out.put(n, m.array());
        });
        forEachVec(out::put);
        return out;
    }

    /** Builds F32 weights from arrays by HF name (used to create fresh models, e.g. the organism). */
    public static ModelWeights fromArrays(ModelConfig c, Map<String, float[]> arrays) {
        ModelWeights w = new ModelWeights(c, List.of());
        int d = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        java.util.function.BiFunction<String, int[], Mat> mat = (name, shape) -> {
            float[] a = arrays.get(name);
            if (a == null) throw new IllegalArgumentException("missing " + name);
            return Mat.of(a, shape[0], shape[1]);
        };
        w.embed = mat.apply("model.embed_tokens.weight", new int[] {c.vocabSize(), d});
        w.lmHead = c.tieWordEmbeddings() ? w.embed : mat.apply("lm_head.weight", new int[] {c.vocabSize(), d});
        w.finalNorm = arrays.get("model.norm.weight");
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            Layer L = w.layers[l];
            L.attnNorm = arrays.get(p + "input_layernorm.weight");
            L.mlpNorm = arrays.get(p + "post_attention_layernorm.weight");
            L.wq = mat.apply(p + "self_attn.q_proj.weight", new int[] {q, d});
            L.wk = mat.apply(p + "self_attn.k_proj.weight", new int[] {kv, d});
            L.wv = mat.apply(p + "self_attn.v_proj.weight", new int[] {kv, d});
            L.wo = mat.apply(p + "self_attn.o_proj.weight", new int[] {d, q});
            if (c.attentionBias()) {
                L.bq = arrays.get(p + "self_attn.q_proj.bias");
                L.bk = arrays.get(p + "self_attn.k_proj.bias");
                L.bv = arrays.get(p + "self_attn.v_proj.bias");
            }
            L.wGate = mat.apply(p + "mlp.gate_proj.weight", new int[] {ff, d});
            L.wUp = mat.apply(p + "mlp.up_proj.weight", new int[] {ff, d});
            L.wDown = mat.apply(p + "mlp.down_proj.weight", new int[] {d, ff});
            L.bDown = arrays.get(p + "mlp.down_proj.bias");
        }
        return w;
    }

    /** A short description of where the weights came from, for hashing (file names and header sizes). */
    public List<SafeTensors> files() {
        return files;
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }
}
