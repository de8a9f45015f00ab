package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.Transformer;

/**
 * Analysis 2, the logit lens of the residual stream ({@code logit_lens_resid.json}): at every layer l,
 * {@code hook_resid_post} through the final norm and the unembedding, then softmax. The tracked tokens are
 * those the last layer's vector pushes most ("tracked", valued by that vector's lens logit). For each, "prob" is its probability averaged over positions and
 * prompts, and "rank" its rank (1 = top) in that averaged distribution.
 *
 * <p>"first_token" reads position p-1 of each prompt (its output is the first generated token). "later_tokens"
 * reads the sequence prompt + the steered model's greedy completion (teacher-forced, the same tokens for the
 * base and the steered run), at positions p .. p+K-2 (those predicting generated tokens 2..K), at most
 * {@code laterPositions} of them per sequence, evenly spaced. "base" has no vectors; "steered" has all of them
 * at every position. The last layer's lens is the model's own output distribution.
 */
final class ResidualLens {
    private ResidualLens() {}

    /** The four runs, in the order of {@link Part#prob}. */
    private static final int FIRST_STEERED = 0, FIRST_BASE = 1, LATER_STEERED = 2, LATER_BASE = 3;

    /**
     * What a share of the prompts measured: per run (first-token steered, first-token base, later-token
     * steered, later-token base) and layer, the lens probabilities summed over positions [4][L][vocab], the
     * positions summed per run, and the first-token and later-token position counts.
     */
    record Part(double[][][] prob, long[] rows, int firstPositions, int laterPositions) implements Serializable {
        static Part merge(Part a, Part b) {
            for (int k = 0; k < a.prob.length; k++) Sums.add(a.prob[k], b.prob[k]);
            long[] rows = a.rows.clone();
            for (int k = 0; k < rows.length; k++) rows[k] += b.rows[k];
            return new Part(a.prob, rows, a.firstPositions + b.firstPositions, a.laterPositions + b.laterPositions);
        }
    }

    static Part part(Transformer tf, Lens lens, List<int[]> prompts, List<int[]> steeredCompletions, Steering steered,
                     int laterPositions, int batch) {
        List<int[]> firstRows = new ArrayList<>();
        List<int[]> seqs = new ArrayList<>(), later = new ArrayList<>();
        int[] pl = new int[prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            int[] p = prompts.get(i), c = steeredCompletions.get(i);
            int[] s = new int[p.length + c.length];
            System.arraycopy(p, 0, s, 0, p.length);
            System.arraycopy(c, 0, s, p.length, c.length);
            seqs.add(s);
            pl[i] = p.length;
            later.add(spaced(p.length, p.length + c.length - 2, laterPositions));
            firstRows.add(new int[] {p.length - 1});
        }
        int L = tf.config.nLayers();
        double[][][] prob = new double[4][L][lens.vocab];
        long[] rows = new long[4];
        rows[FIRST_STEERED] = sumLayers(tf, lens, prompts, pl, firstRows, steered, batch, prob[FIRST_STEERED]);
        rows[FIRST_BASE] = sumLayers(tf, lens, prompts, pl, firstRows, null, batch, prob[FIRST_BASE]);
        int nLater = later.stream().mapToInt(a -> a.length).sum();
        if (nLater > 0) {
            rows[LATER_STEERED] = sumLayers(tf, lens, seqs, pl, later, steered, batch, prob[LATER_STEERED]);
            rows[LATER_BASE] = sumLayers(tf, lens, seqs, pl, later, null, batch, prob[LATER_BASE]);
        }
        return new Part(prob, rows, prompts.size(), nLater);
    }

    static Map<String, Object> finish(Vocab vocab, int[] tracked, float[] trackedLogits, Part part) {
        Map<String, Object> first = Out.map(
                "steered", layers(vocab, tracked, part.prob[FIRST_STEERED], part.rows[FIRST_STEERED]),
                "base", layers(vocab, tracked, part.prob[FIRST_BASE], part.rows[FIRST_BASE]));
        Map<String, Object> rest = part.laterPositions == 0 ? Out.map("steered", List.of(), "base", List.of()) : Out.map(
                "steered", layers(vocab, tracked, part.prob[LATER_STEERED], part.rows[LATER_STEERED]),
                "base", layers(vocab, tracked, part.prob[LATER_BASE], part.rows[LATER_BASE]));
        List<Object> trackedEntries = new ArrayList<>();
        for (int id : tracked) trackedEntries.add(vocab.entry(id, trackedLogits[id]));
        return Out.map("tracked", trackedEntries, "first_token", first, "later_tokens", rest,
                "n_first_positions", part.firstPositions, "n_later_positions", part.laterPositions);
    }

    /** At most k evenly spaced positions in [from, to] (empty when to < from). */
    static int[] spaced(int from, int to, int k) {
        int n = to - from + 1;
        if (n <= 0 || k <= 0) return new int[0];
        if (n <= k) {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = from + i;
            return out;
        }
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = from + (int) Math.round(i * (n - 1) / (double) (k - 1));
        return out;
    }

    /**
     * Adds, per layer, the lens distribution at each given position (real-token indices per sequence) into
     * sum [L][vocab]; returns the number of positions read.
     */
    private static long sumLayers(Transformer tf, Lens lens, List<int[]> seqs, int[] promptLens, List<int[]> positions,
                                  Steering steering, int batch, double[][] sum) {
        int L = tf.config.nLayers(), V = lens.vocab;
        long count = 0;
        for (int s = 0; s < seqs.size(); s += batch) {
            int e = Math.min(seqs.size(), s + batch);
            Batch b = new Batch(seqs.subList(s, e), Arrays.copyOfRange(promptLens, s, e));
            List<Integer> rowList = new ArrayList<>();
            for (int i = s; i < e; i++) for (int pos : positions.get(i)) rowList.add(b.row(i - s, pos));
            int[] rows = rowList.stream().mapToInt(Integer::intValue).toArray();
            if (rows.length == 0) continue;
            Hooks hooks = new Hooks();
            for (int l = 0; l < L; l++) {
                int layer = l;
                hooks.add(tf.hookNames.residPost[l], a -> {
                    float[] logits = lens.ofResidual(a.data(), rows);
                    for (int r = 0; r < rows.length; r++) {
                        double[] p = Divergence.softmax(logits, r * V, V);
                        for (int v = 0; v < V; v++) sum[layer][v] += p[v];
                    }
                });
            }
            b.run(tf, steering, hooks);
            count += rows.length;
        }
        return count;
    }

    /** Per layer, the tracked tokens' probability and rank in the mean distribution (sum / count). */
    private static List<Object> layers(Vocab vocab, int[] tracked, double[][] sum, long count) {
        List<Object> out = new ArrayList<>();
        for (int l = 0; l < sum.length; l++) {
            double[] p = sum[l].clone();
            int V = p.length;
            for (int v = 0; v < V; v++) p[v] /= Math.max(1, count);
            List<Object> toks = new ArrayList<>();
            for (int id : tracked) {
                int rank = 1;
                for (int v = 0; v < V; v++) if (p[v] > p[id] || (p[v] == p[id] && v < id)) rank++;
                toks.add(Out.map("id", id, "text", vocab.text(id), "rank", rank, "prob", p[id]));
            }
            out.add(Out.map("layer", l, "tracked", toks));
        }
        return out;
    }
}
