package steerscope.model;

/**
 * The tensors outside the blocks. A checkpoint holds the embedding first, then the blocks ({@link LayerTensor}),
 * then the final norm and, when untied, lm_head.
 */
public enum GlobalTensor {
    EMBED("model.embed_tokens.weight", "token_embd.weight"),
    FINAL_NORM("model.norm.weight", "output_norm.weight"),
    LM_HEAD("lm_head.weight", "output.weight");

    public final String hfName;
    /** The name in a llama.cpp GGUF file. */
    public final String gguf;

    GlobalTensor(String hfName, String gguf) {
        this.hfName = hfName;
        this.gguf = gguf;
    }

    /** Comes before the blocks in checkpoint order. */
    public boolean beforeLayers() {
        return this == EMBED;
    }

    public boolean isMatrix() {
        return this != FINAL_NORM;
    }

    /** lm_head is its own tensor only when the embedding is not tied to it. */
    public boolean required(ModelConfig c) {
        return this != LM_HEAD || !c.tieWordEmbeddings();
    }

    public int[] shape(ModelConfig c) {
        return isMatrix() ? new int[] {c.vocabSize(), c.hiddenSize()} : new int[] {c.hiddenSize()};
    }

    public int size(ModelConfig c) {
        int n = 1;
        for (int s : shape(c)) n *= s;
        return n;
    }
}
