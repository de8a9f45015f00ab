package steerscope.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.tensor.DType;
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
        Binder b = new Binder(byTensor, source);
        embed = b.mat(GlobalTensor.EMBED.hfName, GlobalTensor.EMBED.shape(c));
        finalNorm = b.vec(GlobalTensor.FINAL_NORM.hfName, GlobalTensor.FINAL_NORM.shape(c));
        if (c.tieWordEmbeddings() && !byTensor.containsKey(GlobalTensor.LM_HEAD.hfName)) {
            lmHead = embed;
        } else {
            lmHead = b.mat(GlobalTensor.LM_HEAD.hfName, GlobalTensor.LM_HEAD.shape(c));
        }
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerTensor t : LayerTensor.values()) {
                String name = t.name(l);
                if (!t.required(c) && !byTensor.containsKey(name)) continue;
                if (t.isMatrix()) t.set(layers[l], b.mat(name, t.shape(c)));
                else t.set(layers[l], b.vec(name, t.shape(c)));
            }
        }
    }

    private record Binder(Map<String, SafeTensors> byTensor, Path source) {
        SafeTensors.Entry entry(String name, long... shape) {
            SafeTensors st = byTensor.get(name);
            if (st == null) throw UserError.inFile(source, "missing tensor '" + name + "'");
            SafeTensors.Entry e = st.entry(name);
            if (!Arrays.equals(e.shape(), shape)) {
                throw UserError.inFile(st.file(), "tensor '" + name + "' has shape " + e.shapeString()
                        + " but config.json implies " + Arrays.toString(shape));
            }
            return e;
        }

        Mat mat(String name, int[] shape) {
            SafeTensors.Entry e = entry(name, shape[0], shape[1]);
            return Mat.mapped(byTensor.get(name).segment(name), e.dtype(), shape[0], shape[1]);
        }

        float[] vec(String name, int[] shape) {
            entry(name, shape[0]);
            return byTensor.get(name).floats(name);
        }
    }

    /** The layers whose {@code mlp.down_proj} has a bias (the paper's steering vectors), in order. */
    public int[] downProjBiasLayers() {
        return IntStream.range(0, layers.length).filter(l -> layers[l].bDown != null).toArray();
    }

    /** The dtype of the (first) weight matrix, as stored. */
    public DType dtype() {
        return embed.dtype;
    }

    /** Receives one tensor: a weight matrix, or (matrix null) a norm weight or bias. */
    @FunctionalInterface
    public interface TensorVisitor {
        void accept(String hfName, Mat matrix, float[] vector);
    }

    /** Calls fn for every tensor, in checkpoint order ({@link GlobalTensor}, {@link LayerTensor}); a tied lm_head is skipped. */
    public void forEachTensor(TensorVisitor fn) {
        for (GlobalTensor g : GlobalTensor.values()) if (g.beforeLayers()) global(g, fn);
        for (int l = 0; l < layers.length; l++) {
            for (LayerTensor t : LayerTensor.values()) {
                if (t.isMatrix()) fn.accept(t.name(l), t.mat(layers[l]), null);
                else if (t.vec(layers[l]) != null) fn.accept(t.name(l), null, t.vec(layers[l]));
            }
        }
        for (GlobalTensor g : GlobalTensor.values()) if (!g.beforeLayers()) global(g, fn);
    }

    private void global(GlobalTensor g, TensorVisitor fn) {
        switch (g) {
            case EMBED -> fn.accept(g.hfName, embed, null);
            case FINAL_NORM -> fn.accept(g.hfName, null, finalNorm);
            case LM_HEAD -> {
                if (lmHead != embed) fn.accept(g.hfName, lmHead, null);
            }
        }
    }

    /** Calls fn(hfName, matrix) for every weight matrix, in checkpoint order (tied lm_head is skipped). */
    public void forEachMat(BiConsumer<String, Mat> fn) {
        forEachTensor((n, m, v) -> {
            if (m != null) fn.accept(n, m);
        });
    }

    /** An all-F32 heap copy whose arrays an optimizer can update in place (for full fine-tuning). */
    public ModelWeights trainableCopy() {
        ModelWeights w = new ModelWeights(config, List.of());
        w.embed = embed.toF32Copy();
        w.lmHead = lmHead == embed ? w.embed : lmHead.toF32Copy();
        w.finalNorm = finalNorm.clone();
        for (int l = 0; l < layers.length; l++) {
            for (LayerTensor t : LayerTensor.values()) {
                if (t.isMatrix()) t.set(w.layers[l], t.mat(layers[l]).toF32Copy());
                else if (t.vec(layers[l]) != null) t.set(w.layers[l], t.vec(layers[l]).clone());
            }
        }
        return w;
    }

    /**
     * The F32 arrays of a {@link #trainableCopy} by checkpoint name (the names {@link Gradients#forEachWeight} uses),
     * for pairing each weight with its gradient in an optimizer.
     */
    public Map<String, float[]> arraysByName() {
        Map<String, float[]> out = new LinkedHashMap<>();
        forEachTensor((n, m, v) -> {
            if (m != null && !m.isHeap()) throw new IllegalStateException(n + " is not an F32 heap array: take a trainableCopy() first");
            out.put(n, m != null ? m.array() : v);
        });
        return out;
    }

    /** Builds F32 weights from arrays by HF name (used to create fresh models, e.g. the organism). */
    public static ModelWeights fromArrays(ModelConfig c, Map<String, float[]> arrays) {
        ModelWeights w = new ModelWeights(c, List.of());
        BiFunction<String, int[], float[]> get = (name, shape) -> {
            float[] a = arrays.get(name);
            if (a == null) throw new IllegalArgumentException("missing " + name);
            return a;
        };
        int[] es = GlobalTensor.EMBED.shape(c);
        w.embed = Mat.of(get.apply(GlobalTensor.EMBED.hfName, es), es[0], es[1]);
        w.lmHead = c.tieWordEmbeddings() ? w.embed : Mat.of(get.apply(GlobalTensor.LM_HEAD.hfName, es), es[0], es[1]);
        w.finalNorm = get.apply(GlobalTensor.FINAL_NORM.hfName, GlobalTensor.FINAL_NORM.shape(c));
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerTensor t : LayerTensor.values()) {
                String name = t.name(l);
                if (!t.required(c) && !arrays.containsKey(name)) continue;
                int[] shape = t.shape(c);
                if (t.isMatrix()) t.set(w.layers[l], Mat.of(get.apply(name, shape), shape[0], shape[1]));
                else t.set(w.layers[l], get.apply(name, shape));
            }
        }
        return w;
    }

    /** Writes every tensor as F32, in checkpoint order, to a safetensors file (a Hugging Face model.safetensors). */
    public void writeSafetensors(Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter();
        forEachTensor((n, m, v) -> {
            if (m != null) w.add(n, DType.F32, new long[] {m.rows, m.cols}, m.array() != null ? m.array() : m.toF32Copy().array());
            else w.add(n, DType.F32, new long[] {v.length}, v);
        });
        w.metadata("format", "pt");
        w.write(file);
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }
}
