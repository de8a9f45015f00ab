package steerscope.analysis;

import steerscope.model.ModelWeights;
import steerscope.tensor.Kernels;

/** The logit lens: a residual-stream vector read through the final norm and the unembedding. */
final class Lens {
    private final ModelWeights weights;
    private final float eps;
    final int vocab, d;

    Lens(ModelWeights weights) {
        this.weights = weights;
        this.eps = weights.config.rmsNormEps();
        this.vocab = weights.config.vocabSize();
        this.d = weights.config.hiddenSize();
    }

    /** unembed(final_norm.weight ⊙ v): the logits a direction adds, before the norm's 1/rms scale. */
    float[] ofDirection(float[] v) {
        float[] x = new float[d];
        for (int i = 0; i < d; i++) x[i] = v[i] * weights.finalNorm[i];
        float[] out = new float[vocab];
        Kernels.matmul(out, x, 1, weights.lmHead, null);
        return out;
    }

    /** Logits [n, vocab] of n residual-stream rows taken from buf at the given rows (rows of width d). */
    float[] ofResidual(float[] buf, int[] rows) {
        float[] x = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(buf, rows[i] * d, x, i * d, d);
        float[] normed = new float[x.length];
        Kernels.rmsnorm(normed, x, weights.finalNorm, null, rows.length, d, eps);
        float[] out = new float[rows.length * vocab];
        Kernels.matmul(out, normed, rows.length, weights.lmHead, null);
        return out;
    }
}
