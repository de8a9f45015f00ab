package steerscope.analysis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import steerscope.model.Steering;
import steerscope.model.Transformer;
import steerscope.util.Bootstrap;

/**
 * Δp per position ({@code delta_p.json}), the paper's central measurement. Completions sampled from the
 * steered model at T = 1 that end with end-of-sequence are teacher-forced (prompt + completion) twice, with the
 * vector on and with it zeroed. At every completion position (pos 0 predicts the first generated token) over
 * the full vocabulary: Δp = p_steered − p_zeroed, its top and bottom token, the entropies of both
 * distributions and KL(P_zeroed ‖ P_steered). Aggregated by position class (pos 0, later), by token (the
 * positions where a token is the top or bottom Δp token: count, mean, extreme), and as the mean Δp over pos 0
 * (the tokens the vector boosts there). Intervals: 95% bootstrap over sequences.
 */
final class DeltaP {
    /** Tokens listed per ranking; positions listed for the first few sequences. */
    static final int TOP = 20, SHOWN_SEQUENCES = 8;

    private DeltaP() {}

    /** What one sequence measured, per completion position. */
    private record Seq(int problem, int[] tokens, double[] kl, int[] top, double[] topDp, int[] bottom, double[] bottomDp,
                       double[] hSteered, double[] hZeroed, double[][] massShift) {}

    /**
     * @param samples completions sampled from the steered model; only those ending with EOS are used, at most maxSequences
     * @param zeroed the same model with the vector zeroed (for a single-layer vector: no steering)
     * @param cat token categories ({@link TokenCategories#ofVocab})
     */
    static Map<String, Object> analyse(Transformer tf, Vocab vocab, int[] cat, List<int[]> prompts, List<Sampled.Sample> samples,
                                       Steering steered, Steering zeroed, int maxSequences, long seed) {
        return analyse(tf, steered, tf, zeroed, vocab, cat, prompts, samples, maxSequences, seed);
    }

    /**
     * The same between two models of one vocabulary and shape: "steered" is {@code tfS} under {@code steered},
     * "zeroed" is {@code tfZ} under {@code zeroed} (e.g. a full fine-tune against its base model).
     */
    static Map<String, Object> analyse(Transformer tfS, Steering steered, Transformer tfZ, Steering zeroed, Vocab vocab, int[] cat,
                                       List<int[]> prompts, List<Sampled.Sample> samples, int maxSequences, long seed) {
        int V = tfS.config.vocabSize(), n = vocab.size;
        double[] pos0Sum = new double[n], laterSum = new double[n];
        long[] counts = new long[2];
        Map<Integer, double[]> topBy = new HashMap<>(), bottomBy = new HashMap<>(); // id -> {count, sum, extreme}
        List<Seq> seqs = new ArrayList<>();
        int eos = 0;
        double[] ps = new double[V], pz = new double[V];
        for (Sampled.Sample s : samples) {
            if (!s.eos()) continue;
            eos++;
            if (seqs.size() >= maxSequences) continue;
            int[] prompt = prompts.get(s.problem());
            int p = prompt.length, c = s.tokens().length;
            int[] ids = Sampled.concat(prompt, s.tokens());
            float[] a = TeacherForcing.normed(tfS, ids, p, steered, null), b = TeacherForcing.normed(tfZ, ids, p, zeroed, null);
            double[] kl = new double[c], topDp = new double[c], bottomDp = new double[c], hs = new double[c], hz = new double[c];
            int[] top = new int[c], bottom = new int[c];
            double[][] shift = new double[2][c]; // per category (process, structure): Σ Δp over its tokens
            TeacherForcing.pairs(tfS, a, tfZ, b, p - 1, p - 1 + c, (row, la, lb, off) -> {
                int j = row - (p - 1);
                double lseS = Divergence.logSumExp(la, off, V), lseZ = Divergence.logSumExp(lb, off, V);
                double k = 0, es = 0, ez = 0;
                for (int i = 0; i < V; i++) {
                    double ls = la[off + i] - lseS, lz = lb[off + i] - lseZ;
                    ps[i] = StrictMath.exp(ls);
                    pz[i] = StrictMath.exp(lz);
                    if (pz[i] > 0) k += pz[i] * (lz - ls);
                    if (ps[i] > 0) es -= ps[i] * ls;
                    if (pz[i] > 0) ez -= pz[i] * lz;
                }
                int hi = 0, lo = 0;
                double[] sum = j == 0 ? pos0Sum : laterSum;
                for (int i = 0; i < n; i++) {
                    double dp = ps[i] - pz[i];
                    sum[i] += dp;
                    if (cat[i] < 2) shift[cat[i]][j] += dp;
                    if (dp > ps[hi] - pz[hi]) hi = i;
                    if (dp < ps[lo] - pz[lo]) lo = i;
                }
                kl[j] = Math.max(0, k);
                hs[j] = es;
                hz[j] = ez;
                top[j] = hi;
                bottom[j] = lo;
                topDp[j] = ps[hi] - pz[hi];
                bottomDp[j] = ps[lo] - pz[lo];
            });
            counts[0]++;
            counts[1] += c - 1;
            for (int j = 0; j < c; j++) {
                tally(topBy, top[j], topDp[j], true);
                tally(bottomBy, bottom[j], bottomDp[j], false);
            }
            seqs.add(new Seq(s.problem(), s.tokens(), kl, top, topDp, bottom, bottomDp, hs, hz, shift));
        }
        int S = seqs.size();
        double[] kl0 = new double[S], klLater = new double[S], klSum = new double[S], diff = new double[S];
        int withLater = 0;
        for (int i = 0; i < S; i++) {
            Seq q = seqs.get(i);
            kl0[i] = q.kl[0];
            for (double x : q.kl) klSum[i] += x;
            klLater[i] = q.kl.length > 1 ? (klSum[i] - kl0[i]) / (q.kl.length - 1) : Double.NaN;
            if (q.kl.length > 1) withLater++;
        }
        double[] pos0 = new double[withLater], later = new double[withLater];
        for (int i = 0, w = 0; i < S; i++) {
            if (Double.isNaN(klLater[i])) continue;
            pos0[w] = kl0[i];
            later[w++] = klLater[i];
        }
        for (int i = 0; i < n; i++) {
            pos0Sum[i] /= Math.max(1, counts[0]);
            laterSum[i] /= Math.max(1, counts[1]);
        }
        Map<String, Object> classes = Out.map(
                "pos0", positionClass(seqs, true, seed),
                "later", positionClass(seqs, false, seed));
        return Out.map(
                "n_samples", samples.size(), "n_eos", eos, "n_sequences", S, "positions", counts[0] + counts[1],
                "position_classes", classes,
                "by_position", byPosition(seqs, seed),
                "pos0_kl_share", Out.interval(Bootstrap.ratio(kl0, klSum, seed)),
                "kl_pos0_minus_later", Out.interval(Bootstrap.meanDiff(pos0, later, seed)),
                "pos0_boosted", vocab.entries(vocab.top(pos0Sum, TOP, true), pos0Sum),
                "pos0_suppressed", vocab.entries(vocab.top(pos0Sum, TOP, false), pos0Sum),
                "later_boosted", vocab.entries(vocab.top(laterSum, TOP, true), laterSum),
                "by_token", Out.map("top", byToken(vocab, topBy, "max"), "bottom", byToken(vocab, bottomBy, "min")),
                "categories", categories(seqs, cat, seed),
                "sequences", shown(vocab, seqs));
    }

    private static void tally(Map<Integer, double[]> by, int id, double dp, boolean max) {
        double[] t = by.computeIfAbsent(id, k -> new double[] {0, 0, dp});
        t[0]++;
        t[1] += dp;
        t[2] = max ? Math.max(t[2], dp) : Math.min(t[2], dp);
    }

    /** Means per sequence (pos 0, or the mean over its later positions), then over sequences with an interval. */
    private static Map<String, Object> positionClass(List<Seq> seqs, boolean first, long seed) {
        List<double[]> rows = new ArrayList<>(); // per sequence: kl, top dp, entropy steered, entropy zeroed
        int positions = 0;
        for (Seq q : seqs) {
            int from = first ? 0 : 1, to = first ? 1 : q.kl.length;
            if (to <= from) continue;
            double[] m = new double[4];
            for (int j = from; j < to; j++) {
                m[0] += q.kl[j] / (to - from);
                m[1] += q.topDp[j] / (to - from);
                m[2] += q.hSteered[j] / (to - from);
                m[3] += q.hZeroed[j] / (to - from);
            }
            positions += to - from;
            rows.add(m);
        }
        double[][] cols = new double[4][rows.size()];
        for (int i = 0; i < rows.size(); i++) for (int k = 0; k < 4; k++) cols[k][i] = rows.get(i)[k];
        return Out.map("positions", positions, "sequences", rows.size(),
                "kl", Out.interval(Bootstrap.mean(cols[0], seed)),
                "top_dp", Out.interval(Bootstrap.mean(cols[1], seed)),
                "entropy_steered", Out.num(Bootstrap.mean(cols[2], seed)[0]),
                "entropy_zeroed", Out.num(Bootstrap.mean(cols[3], seed)[0]));
    }

    /** Completion positions profiled one by one (pos 0 .. BY_POSITION-1). */
    static final int BY_POSITION = 48;

    /** Per completion position j: over the sequences that reach it, the mean KL and top Δp with intervals. */
    private static List<Object> byPosition(List<Seq> seqs, long seed) {
        List<Object> out = new ArrayList<>();
        for (int j = 0; j < BY_POSITION; j++) {
            List<double[]> at = new ArrayList<>();
            for (Seq q : seqs) if (q.kl.length > j) at.add(new double[] {q.kl[j], q.topDp[j]});
            if (at.isEmpty()) break;
            double[] kl = new double[at.size()], top = new double[at.size()];
            for (int i = 0; i < kl.length; i++) {
                kl[i] = at.get(i)[0];
                top[i] = at.get(i)[1];
            }
            out.add(Out.map("pos", j, "sequences", kl.length, "kl", Out.interval(Bootstrap.mean(kl, seed)), "top_dp", Out.interval(Bootstrap.mean(top, seed))));
        }
        return out;
    }

    private static List<Object> byToken(Vocab vocab, Map<Integer, double[]> by, String extreme) {
        List<Map.Entry<Integer, double[]>> es = new ArrayList<>(by.entrySet());
        es.sort((a, b) -> {
            int c = Double.compare(b.getValue()[0], a.getValue()[0]);
            return c != 0 ? c : Integer.compare(a.getKey(), b.getKey());
        });
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < Math.min(TOP, es.size()); i++) {
            double[] t = es.get(i).getValue();
            int id = es.get(i).getKey();
            out.add(Out.map("id", id, "text", vocab.text(id), "count", (long) t[0], "mean", Out.num(t[1] / t[0]), extreme, Out.num(t[2])));
        }
        return out;
    }

    /**
     * Per category (process, structure): the share of positions whose top-Δp token is in it and the share of the
     * generated tokens at those positions that are (descriptive), and the mass shift p_steered(category) −
     * p_zeroed(category) = Σ Δp over its tokens, at pos 0 and averaged over all positions: above 0 when the
     * vector moves probability onto the category.
     */
    private static Map<String, Object> categories(List<Seq> seqs, int[] cat, long seed) {
        Map<String, Object> out = Out.map();
        for (int c = 0; c < 2; c++) {
            int S = seqs.size();
            double[] top = new double[S], gen = new double[S], shift = new double[S], shift0 = new double[S];
            for (int i = 0; i < S; i++) {
                Seq q = seqs.get(i);
                int n = q.top.length;
                for (int j = 0; j < n; j++) {
                    if (q.top[j] < cat.length && cat[q.top[j]] == c) top[i] += 1.0 / n;
                    if (q.tokens[j] < cat.length && cat[q.tokens[j]] == c) gen[i] += 1.0 / n;
                    shift[i] += q.massShift[c][j] / n;
                }
                shift0[i] = q.massShift[c][0];
            }
            out.put(TokenCategories.CATEGORIES.get(c), Out.map(
                    "top_dp_share", Out.interval(Bootstrap.mean(top, seed)),
                    "generated_share", Out.interval(Bootstrap.mean(gen, seed)),
                    "mass_shift", Out.interval(Bootstrap.mean(shift, seed)),
                    "mass_shift_pos0", Out.interval(Bootstrap.mean(shift0, seed))));
        }
        return out;
    }

    private static List<Object> shown(Vocab vocab, List<Seq> seqs) {
        List<Object> out = new ArrayList<>();
        for (Seq q : seqs.subList(0, Math.min(SHOWN_SEQUENCES, seqs.size()))) {
            List<Object> pos = new ArrayList<>();
            for (int j = 0; j < q.kl.length; j++) {
                pos.add(Out.map("pos", j, "token", vocab.text(q.tokens[j]),
                        "top", vocab.entry(q.top[j], q.topDp[j]), "bottom", vocab.entry(q.bottom[j], q.bottomDp[j]),
                        "entropy_steered", Out.num(q.hSteered[j]), "entropy_zeroed", Out.num(q.hZeroed[j]), "kl", Out.num(q.kl[j])));
            }
            out.add(Out.map("problem", q.problem, "positions", pos));
        }
        return out;
    }
}
