package steerscope.model;

/**
 * The keys and values of B sequences on one shared time axis of {@code capacity} slots, and which slots hold real
 * tokens (padding does not). Layout of keys and values, per layer: [B, capacity, n_kv_heads * head_dim], rotated.
 * A {@link Transformer} pass fills the next slots; a row's next RoPE position is its count of valid slots.
 */
public final class KVCache {
    public final int batch, capacity;
    final boolean[] valid;
    final float[][] k, v;
    int length; // slots filled so far

    public KVCache(ModelConfig c, int batch, int capacity) {
        this.batch = batch;
        this.capacity = capacity;
        int kvDim = c.kvDim();
        this.valid = new boolean[batch * capacity];
        this.k = new float[c.nLayers()][(int) Math.multiplyExact((long) batch * capacity, kvDim)];
        this.v = new float[c.nLayers()][batch * capacity * kvDim];
    }

    /** Real tokens of row b so far (its next position). */
    int realTokens(int b) {
        int n = 0;
        for (int s = 0; s < length; s++) if (valid[b * capacity + s]) n++;
        return n;
    }
}
