package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.model.Hooks;
import steerscope.model.Transformer;
import steerscope.steer.Steering;

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

    static Map<String, Object> analyse(Transformer tf, Lens lens, Vocab vocab, int[] tracked, float[] trackedLogits, List<int[]> prompts,
                                       List<int[]> steeredCompletions, Steering steered, int laterPositions, int batch) {
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
        Map<String, Object> first = Out.map(
                "steered", layers(tf, lens, vocab, tracked, prompts, pl, firstRows, steered, batch),
                "base", layers(tf, lens, vocab, tracked, prompts, pl, firstRows, null, batch));
        int nLater = later.stream().mapToInt(a -> a.length).sum();
        Map<String, Object> rest = nLater == 0 ? Out.map("steered", List.of(), "base", List.of()) : Out.map(
                "steered", layers(tf, lens, vocab, tracked, seqs, pl, later, steered, batch),
                "base", layers(tf, lens, vocab, tracked, seqs, pl, later, null, batch));
        List<Object> trackedEntries = new ArrayList<>();
        for (int id : tracked) trackedEntries.add(vocab.entry(id, trackedLogits[id]));
        return Out.map("tracked", trackedEntries, "first_token", first, "later_tokens", rest,
                "n_first_positions", prompts.size(), "n_later_positions", nLater);
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

    /** Per layer, the mean lens distribution over the given positions (positions are real-token indices per sequence). */
    private static List<Object> layers(Transformer tf, Lens lens, Vocab vocab, int[] tracked, List<int[]> seqs, int[] promptLens,
                                       List<int[]> positions, Steering steering, int batch) {
        int L = tf.config.nLayers(), V = lens.vocab;
        double[][] meanProb = new double[L][V];
        long[] count = {0};
        for (int s = 0; s < seqs.size(); s += batch) {
            int e = Math.min(seqs.size(), s + batch);
            Batch b = new Batch(seqs.subList(s, e), java.util.Arrays.copyOfRange(promptLens, s, e));
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
                        for (int v = 0; v < V; v++) meanProb[layer][v] += p[v];
                    }
                });
            }
            b.run(tf, steering, hooks);
            count[0] += rows.length;
        }
        List<Object> out = new ArrayList<>();
        for (int l = 0; l < L; l++) {
            double[] p = meanProb[l];
            for (int v = 0; v < V; v++) p[v] /= Math.max(1, count[0]);
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
