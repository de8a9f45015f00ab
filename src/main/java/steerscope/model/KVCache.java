package steerscope.model;

/**
 * B sequences on one shared time axis of {@code capacity} slots: which slots hold real tokens (padding does
 * not), how many real tokens each row has seen (its next RoPE position), each row's prompt length (where the
 * vectors go depends on it), and per layer the rotated keys and values of every slot filled so far.
 * Layout of keys and values: [B, capacity, n_kv_heads * head_dim].
 */
public final class KVCache {
    public final int batch, capacity, kvDim;
    final boolean[] valid;
    final int[] nReal;
    final int[] promptLen;
    final float[][] k, v;
    int length;

    public KVCache(ModelConfig c, int batch, int capacity) {
        this.batch = batch;
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.valid = new boolean[batch * capacity];
        this.nReal = new int[batch];
        this.promptLen = new int[batch];
        this.k = new float[c.nLayers()][(int) Math.multiplyExact((long) batch * capacity, kvDim)];
        this.v = new float[c.nLayers()][batch * capacity * kvDim];
    }

    /** Slots filled so far. */
    public int length() {
        return length;
    }

    /** Sets the prompt length (in real tokens) of each row; vector positions are counted from it. */
    public void setPromptLengths(int[] lengths) {
        System.arraycopy(lengths, 0, promptLen, 0, batch);
    }

    public int promptLength(int row) {
        return promptLen[row];
    }

    public int realTokens(int row) {
        return nReal[row];
    }

    public boolean isValid(int row, int slot) {
        return valid[row * capacity + slot];
    }
}
