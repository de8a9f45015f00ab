package steerscope.model;

import steerscope.tensor.Mat;

/**
 * The tensors of one decoder block, as a Hugging Face checkpoint names them ({@code model.layers.{l}.SUFFIX}), in
 * the checkpoint's (module) order: the one list that {@link ModelWeights}, {@link Gradients}, the organism's
 * initialiser, the bench's model writer, the optimizers' weight-decay rule and the GGUF export loop over.
 * Linear weights are [out, in]; shapes come from the config.
 */
public enum LayerTensor {
    ATTN_NORM("input_layernorm.weight", "attn_norm.weight"),
    Q("self_attn.q_proj.weight", "attn_q.weight"),
    K("self_attn.k_proj.weight", "attn_k.weight"),
    V("self_attn.v_proj.weight", "attn_v.weight"),
    Q_BIAS("self_attn.q_proj.bias", "attn_q.bias"),
    K_BIAS("self_attn.k_proj.bias", "attn_k.bias"),
    V_BIAS("self_attn.v_proj.bias", "attn_v.bias"),
    O("self_attn.o_proj.weight", "attn_output.weight"),
    MLP_NORM("post_attention_layernorm.weight", "ffn_norm.weight"),
    GATE("mlp.gate_proj.weight", "ffn_gate.weight"),
    UP("mlp.up_proj.weight", "ffn_up.weight"),
    DOWN("mlp.down_proj.weight", "ffn_down.weight"),
    /**
     * Null in Qwen2/Llama/Mistral; a checkpoint of the paper's authors carries it: their steering vector. Read when
     * present, never trained, no GGUF slot (llama.cpp's graph has none).
     */
    DOWN_BIAS("mlp.down_proj.bias", null);

    /** The name after {@code model.layers.{l}.}. */
    public final String suffix;
    /** The name after {@code blk.{l}.} in a llama.cpp GGUF file (null: none). */
    public final String gguf;

    LayerTensor(String suffix, String gguf) {
        this.suffix = suffix;
        this.gguf = gguf;
    }

    public String name(int layer) {
        return "model.layers." + layer + "." + suffix;
    }

    /** A weight matrix (projections), as opposed to a norm weight or a bias; matrices are the ones that decay. */
    public boolean isMatrix() {
        return switch (this) {
            case Q, K, V, O, GATE, UP, DOWN -> true;
            default -> false;
        };
    }

    public boolean isBias() {
        return this == Q_BIAS || this == K_BIAS || this == V_BIAS || this == DOWN_BIAS;
    }

    /** Whether config.json implies the tensor: q/k/v biases with attention_bias; down_proj.bias never (optional). */
    public boolean required(ModelConfig c) {
        return switch (this) {
            case Q_BIAS, K_BIAS, V_BIAS -> c.attentionBias();
            case DOWN_BIAS -> false;
            default -> true;
        };
    }

    /** Gets a gradient in full fine-tuning: every required tensor (the down_proj bias stays frozen). */
    public boolean trainable(ModelConfig c) {
        return required(c);
    }

    /** [rows, cols] for a matrix, [n] for a vector. */
    public int[] shape(ModelConfig c) {
        int d = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        return switch (this) {
            case ATTN_NORM, MLP_NORM, DOWN_BIAS -> new int[] {d};
            case Q -> new int[] {q, d};
            case K, V -> new int[] {kv, d};
            case Q_BIAS -> new int[] {q};
            case K_BIAS, V_BIAS -> new int[] {kv};
            case O -> new int[] {d, q};
            case GATE, UP -> new int[] {ff, d};
            case DOWN -> new int[] {d, ff};
        };
    }

    public int size(ModelConfig c) {
        int n = 1;
        for (int s : shape(c)) n *= s;
        return n;
    }

    public Mat mat(ModelWeights.Layer L) {
        return switch (this) {
            case Q -> L.wq;
            case K -> L.wk;
            case V -> L.wv;
            case O -> L.wo;
            case GATE -> L.wGate;
            case UP -> L.wUp;
            case DOWN -> L.wDown;
            default -> throw new IllegalStateException(this + " is not a matrix");
        };
    }

    public float[] vec(ModelWeights.Layer L) {
        return switch (this) {
            case ATTN_NORM -> L.attnNorm;
            case MLP_NORM -> L.mlpNorm;
            case Q_BIAS -> L.bq;
            case K_BIAS -> L.bk;
            case V_BIAS -> L.bv;
            case DOWN_BIAS -> L.bDown;
            default -> throw new IllegalStateException(this + " is a matrix");
        };
    }

    void set(ModelWeights.Layer L, Mat m) {
        switch (this) {
            case Q -> L.wq = m;
            case K -> L.wk = m;
            case V -> L.wv = m;
            case O -> L.wo = m;
            case GATE -> L.wGate = m;
            case UP -> L.wUp = m;
            case DOWN -> L.wDown = m;
            default -> throw new IllegalStateException(this + " is not a matrix");
        }
    }

    void set(ModelWeights.Layer L, float[] v) {
        switch (this) {
            case ATTN_NORM -> L.attnNorm = v;
            case MLP_NORM -> L.mlpNorm = v;
            case Q_BIAS -> L.bq = v;
            case K_BIAS -> L.bk = v;
            case V_BIAS -> L.bv = v;
            case DOWN_BIAS -> L.bDown = v;
            default -> throw new IllegalStateException(this + " is a matrix");
        }
    }

    public float[] grad(Gradients.Layer g) {
        return switch (this) {
            case ATTN_NORM -> g.attnNorm;
            case Q -> g.wq;
            case K -> g.wk;
            case V -> g.wv;
            case Q_BIAS -> g.bq;
            case K_BIAS -> g.bk;
            case V_BIAS -> g.bv;
            case O -> g.wo;
            case MLP_NORM -> g.mlpNorm;
            case GATE -> g.wGate;
            case UP -> g.wUp;
            case DOWN -> g.wDown;
            case DOWN_BIAS -> throw new IllegalStateException("mlp.down_proj.bias is frozen: it has no gradient");
        };
    }

    void setGrad(Gradients.Layer g, float[] a) {
        switch (this) {
            case ATTN_NORM -> g.attnNorm = a;
            case Q -> g.wq = a;
            case K -> g.wk = a;
            case V -> g.wv = a;
            case Q_BIAS -> g.bq = a;
            case K_BIAS -> g.bk = a;
            case V_BIAS -> g.bv = a;
            case O -> g.wo = a;
            case MLP_NORM -> g.mlpNorm = a;
            case GATE -> g.wGate = a;
            case UP -> g.wUp = a;
            case DOWN -> g.wDown = a;
            case DOWN_BIAS -> throw new IllegalStateException("mlp.down_proj.bias is frozen: it has no gradient");
        }
    }
}
