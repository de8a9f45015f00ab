package steerscope.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    /** The adaptive scale's a_l [L][d] and b [L] (model.AdaptiveScale); zero when the steering has none. */
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
        embed = new float[GlobalTensor.EMBED.size(c)];
        lmHead = GlobalTensor.LM_HEAD.required(c) ? new float[GlobalTensor.LM_HEAD.size(c)] : null;
        finalNorm = new float[GlobalTensor.FINAL_NORM.size(c)];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer();
            for (LayerTensor t : LayerTensor.values()) {
                if (t.trainable(c)) t.setGrad(layers[l], new float[t.size(c)]);
            }
        }
    }

    /** One weight's gradient: its checkpoint name, and what optimizers' weight-decay rules ask of it. */
    public record Weight(String name, float[] grad, boolean matrix, boolean embedding) {}

    /** Every weight gradient, in checkpoint order (that of {@link ModelWeights#forEachTensor}); empty unless full. */
    public List<Weight> weights() {
        List<Weight> out = new ArrayList<>();
        if (!full) return out;
        for (GlobalTensor g : GlobalTensor.values()) if (g.beforeLayers()) global(g, out);
        for (int l = 0; l < layers.length; l++) {
            for (LayerTensor t : LayerTensor.values()) {
                if (t != LayerTensor.DOWN_BIAS && t.grad(layers[l]) != null) out.add(new Weight(t.name(l), t.grad(layers[l]), t.isMatrix(), false));
            }
        }
        for (GlobalTensor g : GlobalTensor.values()) if (!g.beforeLayers()) global(g, out);
        return out;
    }

    private void global(GlobalTensor g, List<Weight> out) {
        float[] a = switch (g) {
            case EMBED -> embed;
            case FINAL_NORM -> finalNorm;
            case LM_HEAD -> lmHead; // null when tied: the embedding's gradient holds both uses
        };
        if (a != null) out.add(new Weight(g.hfName, a, g.isMatrix(), g == GlobalTensor.EMBED));
    }

    /** Every weight gradient with its checkpoint name, in checkpoint order. */
    public void forEachWeight(BiConsumer<String, float[]> fn) {
        for (Weight w : weights()) fn.accept(w.name(), w.grad());
    }

    public void zero() {
        for (float[] v : vectors) Arrays.fill(v, 0f);
        for (float[] v : scaleA) Arrays.fill(v, 0f);
        Arrays.fill(scaleB, 0f);
        forEachWeight((n, a) -> Arrays.fill(a, 0f));
    }
}
