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

    private KVCache(int batch, int capacity, int length, boolean[] valid, float[][] k, float[][] v) {
        this.batch = batch;
        this.capacity = capacity;
        this.length = length;
        this.valid = valid;
        this.k = k;
        this.v = v;
    }

    /**
     * A cache of the given rows, in that order, with their slots as they are here. A row may be named more than
     * once: the bench gives one prefilled prompt to every row of a decode batch.
     */
    public KVCache keepRows(int[] rows) {
        int kvDim = k[0].length / (batch * capacity), rowFloats = capacity * kvDim, n = rows.length;
        boolean[] keptValid = new boolean[n * capacity];
        float[][] keptK = new float[k.length][n * rowFloats], keptV = new float[v.length][n * rowFloats];
        for (int i = 0; i < n; i++) {
            int r = rows[i];
            System.arraycopy(valid, r * capacity, keptValid, i * capacity, capacity);
            for (int l = 0; l < k.length; l++) {
                System.arraycopy(k[l], r * rowFloats, keptK[l], i * rowFloats, rowFloats);
                System.arraycopy(v[l], r * rowFloats, keptV[l], i * rowFloats, rowFloats);
            }
        }
        return new KVCache(n, capacity, length, keptValid, keptK, keptV);
    }

    /** Real tokens of row b so far (its next position). */
    int realTokens(int b) {
        int n = 0;
        for (int s = 0; s < length; s++) if (valid[b * capacity + s]) n++;
        return n;
    }
}
