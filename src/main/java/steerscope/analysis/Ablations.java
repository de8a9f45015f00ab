package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.VectorPositions;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Bootstrap;
import steerscope.util.Progress;

/**
 * Analysis 3, ablations ({@code ablations.json}): the vectors switched on in parts, each condition scored by
 * greedy accuracy on the problems and by KL(steered-all || condition) of the first-token distribution
 * (position p-1), averaged over the prompts, in nats.
 *
 * <p>Conditions: "none" (no vectors), "all" (every vector at every position), "first" (every vector, only at
 * position p-1, see {@link VectorPositions#FIRST}), "prompt" (every vector at positions 0..p-2 only), and
 * for each layer l with a vector "only_layer_l" and "all_but_layer_l" (at every position).
 * first_token_only_recovery = (acc(first) - acc(none)) / (acc(all) - acc(none)), null when acc(all) = acc(none).
 */
final class Ablations {
    record Condition(String name, Integer layer, Steering steering) {}

    /** The conditions for these vectors, in the order they are reported. */
    static List<Condition> conditions(Steering all) {
        List<Condition> cs = new ArrayList<>();
        cs.add(new Condition("none", null, null));
        cs.add(new Condition("all", null, all));
        cs.add(new Condition("first", null, all.withPositions(VectorPositions.FIRST)));
        cs.add(new Condition("prompt", null, all.withPositions(VectorPositions.PROMPT)));
        for (int l : all.vectors().layers()) cs.add(new Condition("only_layer_" + l, l, all.onlyLayer(l)));
        for (int l : all.vectors().layers()) cs.add(new Condition("all_but_layer_" + l, l, all.allButLayer(l)));
        return cs;
    }

    private Ablations() {}

    /**
     * What a share of the problems measured, per condition (in {@link #conditions} order): correct greedy
     * answers, and the summed first-token KL with the number of prompts it was summed over.
     */
    record Part(int[] correct, int problems, double[] kl, int[] prompts) implements Serializable {
        static Part merge(Part a, Part b) {
            return new Part(Sums.add(a.correct, b.correct), a.problems + b.problems, Sums.add(a.kl, b.kl), Sums.add(a.prompts, b.prompts));
        }
    }

    /**
     * @param base,steered the greedy completions with no vectors and with all of them (already made; reused
     *                     for "none" and "all")
     */
    static Part part(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts, Steering all,
                     List<Completions.Completion> base, List<Completions.Completion> steered,
                     int maxNewTokens, int batch, boolean progress) {
        List<Condition> cs = conditions(all);
        // reference first-token logits: all vectors
        List<float[]> ref = firstTokenLogits(model, prompts, all, batch);
        int V = model.config.vocabSize();
        int[] correct = new int[cs.size()], n = new int[cs.size()];
        double[] kl = new double[cs.size()];
        Progress p = progress ? new Progress("ablations", cs.size(), 0) : null;
        for (int k = 0; k < cs.size(); k++) {
            Condition c = cs.get(k);
            List<Completions.Completion> comp = switch (c.name()) {
                case "none" -> base;
                case "all" -> steered;
                default -> Completions.greedy(model, tokenizer, problems, prompts, c.steering(), maxNewTokens, batch, c.name(), false);
            };
            for (Completions.Completion x : comp) if (x.correct()) correct[k]++;
            List<float[]> logits = firstTokenLogits(model, prompts, c.steering(), batch);
            for (int i = 0; i < ref.size(); i++) {
                float[] r = ref.get(i), q = logits.get(i);
                for (int b = 0; b < r.length / V; b++, n[k]++) kl[k] += Divergence.klOfLogits(r, b * V, q, b * V, V);
            }
            if (p != null) p.update(k + 1, c.name() + String.format(Locale.ROOT, " acc %.3f kl %.4f",
                    correct[k] / (double) problems.size(), kl[k] / Math.max(1, n[k])));
        }
        return new Part(correct, problems.size(), kl, n);
    }

    static Map<String, Object> finish(Steering all, Part part) {
        List<Condition> cs = conditions(all);
        List<Object> rows = new ArrayList<>();
        double accNone = Double.NaN, accAll = Double.NaN, accFirst = Double.NaN;
        for (int k = 0; k < cs.size(); k++) {
            Condition c = cs.get(k);
            double acc = part.problems == 0 ? Double.NaN : part.correct[k] / (double) part.problems;
            double kl = part.kl[k] / Math.max(1, part.prompts[k]);
            switch (c.name()) {
                case "none" -> accNone = acc;
                case "all" -> accAll = acc;
                case "first" -> accFirst = acc;
                default -> { }
            }
            rows.add(Out.map("name", c.name(), "layer", c.layer(), "accuracy", Out.num(acc), "ci", ci(part.correct[k], part.problems),
                    "kl_first_token", kl));
        }
        double recovery = (accFirst - accNone) / (accAll - accNone);
        return Out.map("n", part.problems, "conditions", rows, "first_token_only_recovery", Out.num(recovery));
    }

    /** 95% bootstrap interval over problems of a greedy accuracy: the shares merge counts, and a 0/1 mean's resamples depend only on them. */
    private static List<Double> ci(int correct, int problems) {
        if (problems == 0) return Arrays.asList(null, null);
        double[] x = new double[problems];
        Arrays.fill(x, 0, correct, 1);
        double[] m = Bootstrap.mean(x, 0);
        return Arrays.asList(Out.num(m[1]), Out.num(m[2]));
    }

    private static List<float[]> firstTokenLogits(Model model, List<int[]> prompts, Steering s, int batch) {
        List<float[]> out = new ArrayList<>();
        for (List<int[]> chunk : Batch.chunks(prompts, batch)) out.add(Batch.ofPrompts(chunk).firstTokenLogits(model.transformer, s, null));
        return out;
    }
}
