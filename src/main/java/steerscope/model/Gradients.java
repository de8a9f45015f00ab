package steerscope.model;

import java.util.function.BiConsumer;

/**
 * Gradient buffers: always one per steering-vector layer, and, for full fine-tuning, one per weight with the
 * weight's shape (names as in the checkpoint). In vectors-only mode no weight gradient is allocated.
 */
public final class Gradients {
    public static final class Layer {
        public float[] wq, wk, wv, wo, wGate, wUp, wDown, bq, bk, bv, attnNorm, mlpNorm;
    }

    public final float[][] vectors;
    /** The adaptive scale's a_l [L][d] and b [L] (steer.AdaptiveScale); zero when the steering has none. */
    public final float[][] scaleA;
    public final float[] scaleB;
    public final boolean full;
    public float[] embed, lmHead, finalNorm;
    public final Layer[] layers;

    public Gradients(ModelConfig c, boolean full) {
        this.full = full;
        this.vectors = new float[c.nLayers()][c.hiddenSize()];
        this.scaleA = new float[c.nLayers()][c.hiddenSize()];
        this.scaleB = new float[c.nLayers()];
        this.layers = new Layer[c.nLayers()];
        if (!full) return;
        int d = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        embed = new float[c.vocabSize() * d];
        lmHead = c.tieWordEmbeddings() ? null : new float[c.vocabSize() * d];
        finalNorm = new float[d];
        for (int l = 0; l < layers.length; l++) {
            Layer g = layers[l] = new Layer();
            g.wq = new float[q * d]; g.wk = new float[kv * d]; g.wv = new float[kv * d]; g.wo = new float[d * q];
            g.wGate = new float[ff * d]; g.wUp = new float[ff * d]; g.wDown = new float[d * ff];
            g.attnNorm = new float[d]; g.mlpNorm = new float[d];
            if (c.attentionBias()) {
                g.bq = new float[q]; g.bk = new float[kv]; g.bv = new float[kv];
            }
        }
    }

    /** Every weight gradient with its checkpoint name, in the order of {@link ModelWeights}. */
    public void forEachWeight(BiConsumer<String, float[]> fn) {
        if (!full) return;
        fn.accept("model.embed_tokens.weight", embed);
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            Layer g = layers[l];
            fn.accept(p + "input_layernorm.weight", g.attnNorm);
            fn.accept(p + "self_attn.q_proj.weight", g.wq);
            fn.accept(p + "self_attn.k_proj.weight", g.wk);
            fn.accept(p + "self_attn.v_proj.weight", g.wv);
            if (g.bq != null) {
                fn.accept(p + "self_attn.q_proj.bias", g.bq);
                fn.accept(p + "self_attn.k_proj.bias", g.bk);
                fn.accept(p + "self_attn.v_proj.bias", g.bv);
            }
            fn.accept(p + "self_attn.o_proj.weight", g.wo);
            fn.accept(p + "post_attention_layernorm.weight", g.mlpNorm);
            fn.accept(p + "mlp.gate_proj.weight", g.wGate);
            fn.accept(p + "mlp.up_proj.weight", g.wUp);
            fn.accept(p + "mlp.down_proj.weight", g.wDown);
        }
        fn.accept("model.norm.weight", finalNorm);
        if (lmHead != null) fn.accept("lm_head.weight", lmHead);
    }

    public void zero() {
        for (float[] v : vectors) java.util.Arrays.fill(v, 0f);
        for (float[] v : scaleA) java.util.Arrays.fill(v, 0f);
        java.util.Arrays.fill(scaleB, 0f);
        forEachWeight((n, a) -> java.util.Arrays.fill(a, 0f));
    }

    /** Overwrites these gradients with another set of the same shape (a step's result into the optimizer's arrays). */
    public void copyFrom(Gradients other) {
        for (int l = 0; l < vectors.length; l++) {
            System.arraycopy(other.vectors[l], 0, vectors[l], 0, vectors[l].length);
            System.arraycopy(other.scaleA[l], 0, scaleA[l], 0, scaleA[l].length);
        }
        System.arraycopy(other.scaleB, 0, scaleB, 0, scaleB.length);
        if (full) {
            java.util.List<float[]> src = new java.util.ArrayList<>();
            other.forEachWeight((n, a) -> src.add(a));
            int[] i = {0};
            forEachWeight((n, a) -> System.arraycopy(src.get(i[0]++), 0, a, 0, a.length));
        }
    }
}
