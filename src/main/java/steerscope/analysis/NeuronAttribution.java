package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import steerscope.model.Hooks;
import steerscope.model.ModelWeights;
import steerscope.model.Steering;
import steerscope.model.Transformer;

/**
 * Analysis 7, MLP neurons of the last two blocks ({@code neurons.json}). A neuron's hidden activation
 * silu(gate·x) · (up·x) is read at {@code blocks.{l}.mlp.hook_post}, position p-1 (the first-token
 * position), base (no vectors) and steered (all vectors). activation_change = the mean over prompts of steered − base; contribution =
 * activation_change × (down_proj column of the neuron · u), where u = final_norm.weight ⊙ (mean unembedding
 * row of the boosted tokens − mean unembedding row of the vocabulary): how much the neuron's change moves the
 * boosted tokens' logits above the average token (before the final norm's 1/rms). The boosted tokens are the
 * tracked tokens of analysis 2. The 20 neurons of largest |contribution| are listed, sign kept.
 */
final class NeuronAttribution {
    static final int TOP = 20;

    private NeuronAttribution() {}

    /** What a share of the prompts measured: per block read (the last two), the summed activation change [ff]. */
    record Part(double[][] change, int prompts) implements Serializable {
        static Part merge(Part a, Part b) {
            return new Part(Sums.add(a.change, b.change), a.prompts + b.prompts);
        }
    }

    /** The blocks read: the last two. */
    static int firstLayer(int nLayers) {
        return Math.max(0, nLayers - 2);
    }

    static Part part(Transformer tf, List<int[]> prompts, Steering steered, int batch) {
        int L = tf.config.nLayers(), ff = tf.config.intermediateSize(), first = firstLayer(L);
        double[][] change = new double[L - first][ff];
        for (int l = first; l < L; l++) {
            for (List<int[]> chunk : Batch.chunks(prompts, batch)) {
                Batch b = Batch.ofPrompts(chunk);
                float[] base = activations(tf, b, null, l), st = activations(tf, b, steered, l);
                for (int r = 0; r < b.size; r++) for (int i = 0; i < ff; i++) change[l - first][i] += st[r * ff + i] - base[r * ff + i];
            }
        }
        return new Part(change, prompts.size());
    }

    static Map<String, Object> finish(Transformer tf, Vocab vocab, int[] boosted, Part part) {
        int L = tf.config.nLayers(), ff = tf.config.intermediateSize(), first = firstLayer(L);
        float[] u = boostDirection(tf.weights, vocab, boosted);
        List<Object> layers = new ArrayList<>();
        for (int l = first; l < L; l++) {
            double[] change = part.change[l - first].clone();
            for (int i = 0; i < ff; i++) change[i] /= part.prompts;
            double[] proj = downProjection(tf.weights.layers[l], u, tf.config.hiddenSize(), ff);
            double[] contrib = new double[ff];
            Integer[] order = new Integer[ff];
            for (int i = 0; i < ff; i++) {
                contrib[i] = change[i] * proj[i];
                order[i] = i;
            }
            Arrays.sort(order, (a, c) -> {
                int k = Double.compare(Math.abs(contrib[c]), Math.abs(contrib[a]));
                return k != 0 ? k : Integer.compare(a, c);
            });
            List<Object> top = new ArrayList<>();
            for (int k = 0; k < Math.min(TOP, ff); k++) {
                int i = order[k];
                top.add(Out.map("neuron", i, "contribution", contrib[i], "activation_change", change[i], "unembed_projection", proj[i]));
            }
            layers.add(Out.map("layer", l, "top", top));
        }
        List<Object> boostedEntries = new ArrayList<>();
        for (int id : boosted) boostedEntries.add(Out.map("id", id, "text", vocab.text(id)));
        return Out.map("boosted", boostedEntries, "layers", layers);
    }

    /** The MLP hidden activations of block l ({@code mlp.hook_post}) at the first-token rows: [B, ff]. */
    static float[] activations(Transformer tf, Batch b, Steering s, int l) {
        int ff = tf.config.intermediateSize();
        int[] rows = b.firstTokenRows();
        float[] out = new float[rows.length * ff];
        b.run(tf, s, new Hooks().add(tf.hookNames.mlpPost[l], a -> {
            for (int r = 0; r < rows.length; r++) System.arraycopy(a.data(), rows[r] * ff, out, r * ff, ff);
        }));
        return out;
    }

    /** final_norm.weight ⊙ (mean unembedding of the boosted tokens − mean unembedding of the vocabulary). */
    static float[] boostDirection(ModelWeights w, Vocab vocab, int[] boosted) {
        int d = w.config.hiddenSize();
        double[] mean = new double[d], boost = new double[d];
        float[] row = new float[d];
        for (int v = 0; v < vocab.size; v++) {
            w.lmHead.loadRow(v, row, 0);
            for (int i = 0; i < d; i++) mean[i] += row[i] / (double) vocab.size;
        }
        for (int id : boosted) {
            w.lmHead.loadRow(id, row, 0);
            for (int i = 0; i < d; i++) boost[i] += row[i] / (double) boosted.length;
        }
        float[] u = new float[d];
        for (int i = 0; i < d; i++) u[i] = (float) ((boost[i] - mean[i]) * w.finalNorm[i]);
        return u;
    }

    /** down_proj[:, i] · u for every neuron i (down_proj is [d, ff]). */
    private static double[] downProjection(ModelWeights.Layer w, float[] u, int d, int ff) {
        double[] proj = new double[ff];
        float[] row = new float[ff];
        for (int r = 0; r < d; r++) {
            w.wDown.loadRow(r, row, 0);
            for (int i = 0; i < ff; i++) proj[i] += (double) row[i] * u[r];
        }
        return proj;
    }
}
