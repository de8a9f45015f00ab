package steerscope.model;

/**
 * Rotary position embedding as Hugging Face applies it ({@code rotate_half}: element i pairs with
 * i + head_dim/2), with Llama 3's frequency scaling when configured. cos/sin tables grow on demand.
 */
final class Rope {
    private final int half;
    private final float[] invFreq;
    private volatile float[] cos = new float[0], sin = new float[0];

    Rope(ModelConfig c) {
        half = c.headDim() / 2;
        invFreq = inverseFrequencies(c, true);
    }

    /** The rotary frequencies, with Llama 3's scaling when {@code scaled} and configured. */
    static float[] inverseFrequencies(ModelConfig c, boolean scaled) {
        int hd = c.headDim(), half = hd / 2;
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            // HF: 1 / base ** (arange(0, dim, 2) / dim), in float32
            float exponent = (float) (2 * i) / hd;
            invFreq[i] = (float) (1.0 / (float) StrictMath.pow(c.ropeTheta(), exponent));
        }
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (scaled && s != null) {
            double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double f = invFreq[i];
                double wavelen = 2 * Math.PI / f;
                if (wavelen > lowWavelen) {
                    f = f / s.factor();
                } else if (wavelen >= highWavelen) { // medium band: interpolate between scaled and unscaled
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    f = (1 - smooth) * f / s.factor() + smooth * f;
                }
                invFreq[i] = (float) f;
            }
        }
        return invFreq;
    }

    private void ensure(int positions) {
        if (cos.length >= positions * half) return;
        synchronized (this) {
            if (cos.length >= positions * half) return;
            int n = Math.max(positions, 2 * cos.length / Math.max(half, 1));
            float[] c = new float[n * half], s = new float[n * half];
            for (int p = 0; p < n; p++) {
                for (int i = 0; i < half; i++) {
                    float angle = (float) p * invFreq[i];
                    // StrictMath: the same table on every JVM and CPU (docs/reproducibility.md)
                    c[p * half + i] = (float) StrictMath.cos(angle);
                    s[p * half + i] = (float) StrictMath.sin(angle);
                }
            }
            sin = s;
            cos = c;
        }
    }

    /** Rotates nHeads heads of x (at offset off, head_dim each) to position pos; inverse = true un-rotates (the backward). */
    void rotate(float[] x, int off, int nHeads, int pos, boolean inverse) {
        ensure(pos + 1);
        float[] c = cos, s = sin;
        int base = pos * half;
        for (int h = 0; h < nHeads; h++) {
            int o = off + h * 2 * half;
            for (int i = 0; i < half; i++) {
                float cs = c[base + i], sn = inverse ? -s[base + i] : s[base + i];
                float a = x[o + i], b = x[o + i + half];
                x[o + i] = a * cs - b * sn;
                x[o + i + half] = b * cs + a * sn;
            }
        }
    }
}
