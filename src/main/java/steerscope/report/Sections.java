package steerscope.report;

import static steerscope.report.RunData.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * One method per report section: each reads its file from {@link RunData}, draws its charts and tables,
 * and says "not measured" in place of whatever is missing. Every string from the data is escaped here.
 */
final class Sections {
    private final RunData d;
    private final int last;

    Sections(RunData d) {
        this.d = d;
        this.last = d.lastLayer();
    }

    /** The sections in page order: id, title, body. */
    List<String[]> all() {
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {"accuracy", "Accuracy: base, vectors, full fine-tune", accuracy()});
        out.add(new String[] {"first-token", "First generated token", firstToken()});
        out.add(new String[] {"single-layer", "Single-layer vectors: accuracy per layer", singleLayer()});
        out.add(new String[] {"delta-p", "Δp per position (single-layer vectors)", deltaP()});
        out.add(new String[] {"prefix", "Prefix-token control", prefix()});
        out.add(new String[] {"circuit", "Circuit patching of block L−1 (penultimate vector)", circuit()});
        out.add(new String[] {"persistence", "Persistence of single-layer vectors", persistence()});
        out.add(new String[] {"middle-layers", "Middle layers and the distractor language", middleLayers()});
        // the experiments (docs/experiments.md) only when they were run: an analysis directory has none of them
        if (!d.file("combine_layers").isMissingNode()) out.add(new String[] {"combine-layers", "Experiment: single-layer vectors combined in pairs", combineLayers()});
        if (!d.file("transfer").isMissingNode()) out.add(new String[] {"transfer", "Experiment: transfer to another model of the family", transfer()});
        if (!d.file("compare_finetune").isMissingNode()) out.add(new String[] {"compare-finetune", "Experiment: vectors vs the full fine-tune, mechanistically", compareFinetune()});
        if (!d.file("adaptive").isMissingNode()) out.add(new String[] {"adaptive", "Experiment: adaptive token-wise scale of the vectors", adaptive()});
        out.add(new String[] {"training", "RL training curves", training()});
        out.add(new String[] {"norms", "Vector norms and directions per layer", norms()});
        out.add(new String[] {"logit-lens", "Logit lens of the vectors", logitLens()});
        out.add(new String[] {"resid-lens", "Residual-stream lens of tracked tokens", residLens()});
        out.add(new String[] {"ablations", "Ablations: where and when the vectors matter", ablations()});
        out.add(new String[] {"path-patching", "Path patching: how each vector reaches the logits", pathPatching()});
        out.add(new String[] {"attention-mlp", "Attention vs MLP changes per layer", attentionVsMlp()});
        out.add(new String[] {"token-categories", "Token categories", tokenCategories()});
        out.add(new String[] {"neurons", "Neuron attribution (last two layers)", neurons()});
        out.add(new String[] {"samples", "Sample completions", samples()});
        return out;
    }

    String accuracy() {
        JsonNode s = d.summary();
        if (s.isMissingNode()) return missing("summary.json");
        List<String> groups = List.of("base", "vectors", "full fine-tune");
        String[] keys = {"base", "vectors", "full"}, older = {"base_accuracy", "vectors_accuracy", "full_finetune_accuracy"};
        double[][] sampled = new double[3][3], greedy = new double[3][3];
        for (int i = 0; i < 3; i++) {
            JsonNode a = s.path("accuracy").path(keys[i]);
            sampled[i] = a.isObject() ? new double[] {num(a.path("sampled_mean")), num(a.path("sampled_ci").path(0)), num(a.path("sampled_ci").path(1))}
                    : new double[] {num(s.path(older[i])), Double.NaN, Double.NaN}; // a summary from before the sampled mean: no intervals
            greedy[i] = new double[] {num(a.path("greedy")), num(a.path("greedy_ci").path(0)), num(a.path("greedy_ci").path(1))};
        }
        int k = s.path("accuracy").path("base").path("k").asInt(0);
        StringBuilder b = new StringBuilder();
        b.append(figure(Charts.groupedBars("Accuracy of base, vectors and full fine-tune", groups,
                        List.of(series("sampled mean (T = 1" + (k > 0 ? ", k = " + k : "") + ")", sampled), series("greedy pass@1", greedy)), "accuracy"),
                "Accuracy on the " + count(s.path("n_test")) + " held-out test problems for the frozen base model, the base model "
                        + "with the trained steering vectors, and the fully fine-tuned model: the mean over problems of the fraction of "
                        + "samples at T = 1 that are correct (the paper's metric), and greedy pass@1. Whiskers: 95% bootstrap intervals "
                        + "over problems. \"n/m\" marks a model that was not measured."));
        b.append("<table><tr><th></th><th class=\"num\">sampled mean [95% interval]</th><th class=\"num\">greedy pass@1 [95% interval]</th></tr>");
        for (int i = 0; i < 3; i++)
            b.append("<tr><td>").append(groups.get(i)).append("</td><td class=\"num\">").append(Html.text(interval(sampled[i], 3)))
                    .append("</td><td class=\"num\">").append(Html.text(interval(greedy[i], 3))).append("</td></tr>");
        b.append("</table><table><tr><th>gain over base (sampled mean, paired over problems)</th><th class=\"num\">value [95% interval]</th></tr>")
                .append(row("vectors", interval(s.path("vectors_gain"), 3)))
                .append(row("full fine-tune", interval(s.path("full_gain"), 3)))
                .append(row("recovered fraction of the fine-tune's gain", interval(new double[] {num(s.path("recovered_fraction")),
                        num(s.path("recovered_fraction_ci").path(0)), num(s.path("recovered_fraction_ci").path(1))}, 3)
                        + (s.path("recovered_fraction_reason").isTextual() ? " (" + s.path("recovered_fraction_reason").asText() + ")" : "")))
                .append("</table>");
        JsonNode tp = s.path("trainable_parameters");
        double vec = num(tp.path("vectors")), full = num(tp.path("full"));
        b.append("<table><tr><th>trainable parameters</th><th class=\"num\">count</th></tr>")
                .append(row("steering vectors", count(tp.path("vectors"))))
                .append(row("full fine-tune", count(tp.path("full"))))
                .append(row("ratio (vectors / full)", Double.isNaN(vec / full) ? Html.NOT_MEASURED
                        : String.format(Locale.ROOT, "%.5f%%", 100 * vec / full)))
                .append("</table>");
        return b.toString();
    }

    String firstToken() {
        JsonNode ft = d.summary().path("first_token");
        if (!ft.isObject()) return missing("summary.json first_token");
        JsonNode base = ft.path("base"), steered = ft.path("steered");
        int n = Math.max(base.size(), steered.size());
        StringBuilder b = new StringBuilder("<table><tr><th>#</th><th>base token</th><th class=\"num\">p</th><th>steered token</th><th class=\"num\">p</th></tr>");
        for (int i = 0; i < n; i++)
            b.append("<tr><td class=\"num\">").append(i + 1).append("</td><td>").append(chip(base.path(i), "p")).append("</td><td class=\"num\">")
                    .append(cell(num(base.path(i).path("value")), 3)).append("</td><td>").append(chip(steered.path(i), "p"))
                    .append("</td><td class=\"num\">").append(cell(num(steered.path(i).path("value")), 3)).append("</td></tr>");
        b.append("</table>");
        b.append(caption("The ten most probable first generated tokens, averaged over the test prompts, without and with the "
                + "steering vectors. Tokens are shown with visible whitespace (␣ space, ↵ newline)."));
        return b.toString();
    }

    String training() {
        List<JsonNode> vec = d.metrics.get("vectors"), full = d.metrics.get("full");
        if (vec.isEmpty() && full.isEmpty()) return missing("the RL runs' metrics.jsonl (summary.json runs)");
        StringBuilder b = new StringBuilder();
        List<Charts.Line> lines = new ArrayList<>();
        String[] colours = {Charts.PALETTE[0], Charts.PALETTE[1]};
        String[] names = {"vectors", "full"};
        List<List<JsonNode>> runs = List.of(vec, full);
        for (int r = 0; r < 2; r++) {
            if (runs.get(r).isEmpty()) continue;
            lines.add(new Charts.Line(names[r] + " reward", column(runs.get(r), "step"), column(runs.get(r), "reward_mean"), colours[r], false));
            lines.add(new Charts.Line(names[r] + " accuracy", column(runs.get(r), "step"), column(runs.get(r), "accuracy"), colours[r], true));
        }
        b.append(figure(Charts.lines("Reward and accuracy per RL step", lines, "step", "mean per step", false),
                "Mean reward (solid) and accuracy (dashed) of the sampled completions at each training step, for the "
                        + "steering-vector run (blue) and the full fine-tune (orange)"
                        + (vec.isEmpty() ? "; the vector run was not measured" : "") + (full.isEmpty() ? "; the full run was not measured" : "")
                        + ". Rising curves mean the policy is learning; compare how fast the two reach the same level."));

        TreeMap<Integer, double[]> norms = new TreeMap<>();
        for (int i = 0; i < vec.size(); i++) {
            var it = vec.get(i).path("vector_norms").fields();
            while (it.hasNext()) {
                var e = it.next();
                try {
                    int layer = Integer.parseInt(e.getKey());
                    norms.computeIfAbsent(layer, k -> filledNaN(vec.size()))[i] = num(e.getValue());
                } catch (NumberFormatException ignored) {
                    // not a layer key
                }
            }
        }
        if (norms.isEmpty()) {
            b.append(missing("per-layer vector_norms in the vector run's metrics.jsonl"));
        } else {
            List<Charts.Line> nl = new ArrayList<>();
            double[] steps = column(vec, "step");
            int k = 0;
            for (var e : norms.entrySet()) {
                String c = e.getKey() == last ? Charts.PALETTE[3] : e.getKey() == last - 1 ? Charts.PALETTE[1] : ramp(k, norms.size());
                nl.add(new Charts.Line("L" + e.getKey() + tag(e.getKey()), steps, e.getValue(), c, false));
                k++;
            }
            b.append(figure(Charts.lines("Vector norm per layer over training", nl, "step", "‖v‖", false),
                    "L2 norm of each layer's steering vector at every step of the vector run. Blues from light (early layers) "
                            + "to dark (late layers); the last layer is red and the penultimate orange. A layer whose norm grows "
                            + "fastest is where training put the most change."));
        }
        b.append("<table><tr><th>run</th><th class=\"num\">steps</th><th class=\"num\">final reward</th><th class=\"num\">final accuracy</th>"
                + "<th class=\"num\">final KL</th><th class=\"num\">response length</th><th class=\"num\">grad norm</th></tr>");
        for (int r = 0; r < 2; r++) {
            List<JsonNode> m = runs.get(r);
            JsonNode lastRow = m.isEmpty() ? MissingNode.getInstance() : m.get(m.size() - 1);
            b.append("<tr><td>").append(names[r]).append("</td><td class=\"num\">").append(m.size()).append("</td>")
                    .append(numCell(num(lastRow.path("reward_mean")), 3)).append(numCell(num(lastRow.path("accuracy")), 3))
                    .append(numCell(num(lastRow.path("kl")), 4)).append(numCell(num(lastRow.path("response_length")), 1))
                    .append(numCell(num(lastRow.path("grad_norm")), 3)).append("</tr>");
        }
        b.append("</table>");
        b.append(caption("The last logged step of each run; KL is per completion token against the frozen base."));
        return b.toString();
    }

    String norms() {
        JsonNode layers = d.lensVectors().path("layers");
        if (layers.isEmpty()) return missing("logit_lens_vectors.json");
        List<String> labels = new ArrayList<>();
        double[] norm = new double[layers.size()], cos = new double[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            labels.add(layerLabel(layers.get(i)));
            norm[i] = num(layers.get(i).path("norm"));
            cos[i] = num(layers.get(i).path("cos_mean_resid"));
        }
        StringBuilder b = new StringBuilder();
        b.append(figure(Charts.bars("Steering vector norm per layer", labels, norm, "‖v‖", Charts.PALETTE[0]),
                "L2 norm of the trained vector at each decoder layer (added after block L). Larger vectors move the "
                        + "residual stream more, though later layers also have larger residual norms."));
        b.append(figure(Charts.bars("Cosine of each vector with the mean residual stream", labels, cos, "cosine", Charts.PALETTE[4]),
                "Cosine similarity between the vector and the mean residual stream at its layer. Near 0: the vector adds a "
                        + "new direction; near ±1: it mostly rescales what is already there."));
        JsonNode cosine = d.lensVectors().path("cosine");
        if (cosine.isArray() && cosine.size() == layers.size()) {
            double[][] m = new double[cosine.size()][];
            for (int i = 0; i < m.length; i++) {
                m[i] = new double[cosine.get(i).size()];
                for (int j = 0; j < m[i].length; j++) m[i][j] = num(cosine.get(i).get(j));
            }
            b.append(figure(Charts.heatMap("Cosine similarity between the layers' vectors", labels, labels, m, "cosine"),
                    "Pairwise cosine between vectors of different layers (diagonal = 1). Blue blocks are layers that push "
                            + "in the same direction; red, opposite directions."));
        } else {
            b.append(missing("the vector-to-vector cosine matrix (logit_lens_vectors.json cosine)"));
        }
        return b.toString();
    }

    String logitLens() {
        JsonNode layers = d.lensVectors().path("layers");
        if (layers.isEmpty()) return missing("logit_lens_vectors.json");
        StringBuilder b = new StringBuilder();
        b.append(caption("Each vector read through the unembedding (final-norm weight ⊙ v, then the LM head): the tokens whose "
                + "logits it raises most (top) and lowers most (bottom). Hover a token for its id and logit. The last and "
                + "penultimate layers are highlighted."));
        b.append("<table class=\"lens\"><tr><th>layer</th><th class=\"num\">‖v‖</th><th>top tokens (raised)</th><th>bottom tokens (lowered)</th></tr>");
        for (JsonNode l : layers) {
            int layer = l.path("layer").asInt(-1);
            b.append("<tr").append(layer == last || layer == last - 1 ? " class=\"hl\"" : "").append("><td>").append(Html.text(layerLabel(l)))
                    .append(Html.text(tag(layer))).append("</td>").append(numCell(num(l.path("norm")), 2)).append("<td>")
                    .append(chips(l.path("top"), 8, "logit")).append("</td><td>").append(chips(l.path("bottom"), 8, "logit")).append("</td></tr>");
        }
        b.append("</table>");
        for (int layer : new int[] {last, last - 1}) {
            JsonNode l = RunData.layer(layers, layer);
            if (l.isMissingNode()) continue;
            b.append("<h3>Layer ").append(layer).append(Html.text(tag(layer))).append(": top 20 in detail</h3>");
            b.append("<table><tr><th>#</th><th>top</th><th class=\"num\">logit</th><th>top, scaled</th><th class=\"num\">logit</th>"
                    + "<th>bottom</th><th class=\"num\">logit</th></tr>");
            int n = Math.max(l.path("top").size(), l.path("bottom").size());
            for (int i = 0; i < Math.min(20, n); i++) {
                b.append("<tr><td class=\"num\">").append(i + 1).append("</td>");
                for (String f : new String[] {"top", "top_scaled", "bottom"})
                    b.append("<td>").append(chip(l.path(f).path(i), "logit")).append("</td>").append(numCell(num(l.path(f).path(i).path("value")), 2));
                b.append("</tr>");
            }
            b.append("</table>");
            b.append(caption("\"Scaled\" applies the final norm as it would act on this vector at the typical residual norm of layer "
                    + layer + ", which is closer to what the model actually sees."));
        }
        return b.toString();
    }

    String residLens() {
        JsonNode r = d.lensResid();
        if (r.isMissingNode()) return missing("logit_lens_resid.json");
        StringBuilder b = new StringBuilder();
        b.append("<p>Tracked tokens (the last-layer vector's top lens tokens): ").append(chips(r.path("tracked"), 20, "logit")).append("</p>");
        for (String part : new String[] {"first_token", "later_tokens"}) {
            JsonNode steered = r.path(part).path("steered"), base = r.path(part).path("base");
            String what = part.equals("first_token") ? "the first generated token" : "later generated tokens (positions 2..K, averaged)";
            if (steered.isEmpty() && base.isEmpty()) {
                b.append(missing("logit_lens_resid.json " + part));
                continue;
            }
            // token id -> per-layer rank, for steered and base
            List<String> names = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            for (JsonNode t : r.path("tracked")) {
                if (ids.size() >= 6) break;
                ids.add(t.path("id").asInt());
                names.add(Html.visible(t.path("text").asText("?")));
            }
            if (ids.isEmpty()) // no tracked list: take the tokens of the first layer entry
                for (JsonNode t : (steered.isEmpty() ? base : steered).path(0).path("tracked")) {
                    if (ids.size() >= 6) break;
                    ids.add(t.path("id").asInt());
                    names.add(Html.visible(t.path("text").asText("?")));
                }
            boolean zeroBased = false;
            for (JsonNode side : List.of(steered, base))
                for (JsonNode l : side) for (JsonNode t : l.path("tracked")) if (t.path("rank").asInt(1) == 0) zeroBased = true;
            List<Charts.Line> lines = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                String c = Charts.PALETTE[i % Charts.PALETTE.length];
                lines.add(rankLine("'" + names.get(i) + "' steered", steered, ids.get(i), zeroBased, c, false));
                lines.add(rankLine("'" + names.get(i) + "' base", base, ids.get(i), zeroBased, c, true));
            }
            b.append(figure(Charts.lines("Rank of tracked tokens by layer, " + what, lines, "layer", "rank", true),
                    "Logit lens of the residual stream (hook_resid_post) at each layer, predicting " + what
                            + ": the rank of each tracked token among the whole vocabulary (1 = the top prediction; lower is "
                            + "more likely). Solid: with the steering vectors; dashed: the base model. A solid line that drops "
                            + "only at the last layers means the vectors promote the token late."));
        }
        return b.toString();
    }

    String ablations() {
        JsonNode a = d.ablations();
        if (a.isMissingNode()) return missing("ablations.json");
        List<String> labels = new ArrayList<>();
        List<Double> acc = new ArrayList<>(), accLo = new ArrayList<>(), accHi = new ArrayList<>(), kl = new ArrayList<>();
        for (JsonNode c : a.path("conditions")) {
            labels.add(conditionLabel(c));
            acc.add(num(c.path("accuracy")));
            accLo.add(num(c.path("ci").path(0)));
            accHi.add(num(c.path("ci").path(1)));
            kl.add(num(c.path("kl_first_token")));
        }
        StringBuilder b = new StringBuilder();
        if (labels.isEmpty()) b.append(missing("ablations.json conditions"));
        else {
            b.append(figure(Charts.bars("Accuracy per ablation condition", labels, toArray(acc), toArray(accLo), toArray(accHi), "accuracy", Charts.PALETTE[0]),
                    "Greedy accuracy (whiskers: 95% bootstrap intervals over problems) on " + count(a.path("n")) + " problems when the vectors are applied: nowhere (none), everywhere "
                            + "(all), only at the first generated token (first), only on the prompt (prompt), at one layer only "
                            + "(only L), or at all layers but one (all but L). A condition close to \"all\" is enough to get the gain."));
            b.append(figure(Charts.bars("First-token KL per ablation condition", labels, toArray(kl), "KL (nats)", Charts.PALETTE[1]),
                    "KL(steered-all ‖ condition) of the first generated token's distribution, in nats: how far each condition "
                            + "moves the first-token prediction away from the fully steered model. 0 = identical."));
        }
        b.append("<p>First-token-only recovery (acc(first) − acc(none)) / (acc(all) − acc(none)): <b>")
                .append(Html.text(Html.num(num(a.path("first_token_only_recovery")), 3))).append("</b></p>");
        return b.toString();
    }

    String pathPatching() {
        JsonNode layers = d.pathPatching().path("layers");
        if (layers.isEmpty()) return missing("path_patching.json");
        StringBuilder b = new StringBuilder();
        List<String> labels = new ArrayList<>();
        double[] direct = new double[layers.size()], attn = new double[layers.size()], mlp = new double[layers.size()], diff = new double[layers.size()];
        int minLayer = Integer.MAX_VALUE;
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            labels.add(layerLabel(l));
            direct[i] = num(l.path("shares").path("direct"));
            attn[i] = num(l.path("shares").path("attention"));
            mlp[i] = num(l.path("shares").path("mlp"));
            diff[i] = num(l.path("total_logit_diff"));
            minLayer = Math.min(minLayer, l.path("layer").asInt());
        }
        b.append(figure(Charts.groupedBars("Path shares per vector layer", labels, List.of(new Charts.Series("direct", direct),
                        new Charts.Series("via attention", attn), new Charts.Series("via MLP", mlp)), "share of logit diff"),
                "For each layer's vector, the share of its effect on the boosted tokens' logits that goes straight to the "
                        + "unembedding (direct), through later attention layers, or through later MLPs. The last layer has no "
                        + "later layers, so its effect is all direct."));
        // heat map columns: direct, then attn/mlp of each later layer, interleaved
        List<String> cols = new ArrayList<>(List.of("direct"));
        int lastCol = Math.max(last, minLayer);
        for (int k = minLayer + 1; k <= lastCol; k++) {
            cols.add("attn L" + k);
            cols.add("mlp L" + k);
        }
        double[][] m = new double[layers.size()][cols.size()];
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            int layer = l.path("layer").asInt();
            Arrays.fill(m[i], Double.NaN);
            m[i][0] = num(l.path("direct"));
            for (int j = 0; j < l.path("attention").size(); j++) {
                int col = 1 + 2 * (layer + 1 + j - (minLayer + 1));
                if (col >= 1 && col < cols.size()) m[i][col] = num(l.path("attention").get(j));
            }
            for (int j = 0; j < l.path("mlp").size(); j++) {
                int col = 2 + 2 * (layer + 1 + j - (minLayer + 1));
                if (col >= 1 && col < cols.size()) m[i][col] = num(l.path("mlp").get(j));
            }
        }
        List<String> rows = labels.stream().map(s -> "vector " + s).toList();
        b.append(figure(Charts.heatMap("Path-patching contributions", rows, cols, m, "logit diff"),
                "Rows: the layer whose vector is patched in; columns: the path it takes to the logits, directly or through "
                        + "the attention or MLP of a later layer L. Each cell is the logit difference of the boosted tokens carried "
                        + "by that path (blue raises, red lowers). Grey cells are paths that do not exist (not after the vector). The colour scale "
                        + "is set by the largest |value|, so one big path can wash out small ones: hover a cell for its value."));
        b.append(figure(Charts.bars("Total logit difference per vector layer", labels, diff, "logit diff", Charts.PALETTE[2]),
                "The total change in the boosted tokens' logits when only this layer's vector is added."));
        return b.toString();
    }

    String attentionVsMlp() {
        JsonNode a = d.attentionVsMlp();
        JsonNode layers = a.path("layers");
        if (layers.isEmpty()) return missing("attention_vs_mlp.json");
        List<String> labels = new ArrayList<>();
        double[] js = new double[layers.size()], attnOut = new double[layers.size()], mlpOut = new double[layers.size()];
        int heads = 0;
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            labels.add(layerLabel(l) + tag(l.path("layer").asInt(-9)).replace(" (last)", "*").replace(" (penultimate)", "*"));
            js[i] = num(l.path("attn_js_mean"));
            attnOut[i] = num(l.path("attn_out_norm_change"));
            mlpOut[i] = num(l.path("mlp_out_change"));
            heads = Math.max(heads, l.path("attn_js").size());
        }
        StringBuilder b = new StringBuilder();
        b.append(figure(Charts.groupedBars("Relative change of attention and MLP outputs per layer", labels,
                        List.of(new Charts.Series("attention output", attnOut), new Charts.Series("MLP output", mlpOut)), "relative change"),
                "How much steering changes each layer's attention output and MLP output, relative to the base model's "
                        + "(‖steered − base‖ / ‖base‖). The claim is that at the penultimate layer (marked *) the MLP bar is the larger one."));
        b.append(figure(Charts.bars("Mean attention-pattern change (Jensen-Shannon) per layer", labels, js, "JS divergence", Charts.PALETTE[6]),
                "Mean Jensen-Shannon divergence between base and steered attention patterns, over heads and positions "
                        + "(0 = unchanged, ln 2 ≈ 0.69 = disjoint). These are the jointly trained vectors; the verdict reads block L−1 "
                        + "under the penultimate vector alone, against a random vector of its norm (circuit.json)."));
        if (heads > 0) {
            List<String> cols = new ArrayList<>();
            for (int h = 0; h < heads; h++) cols.add("h" + h);
            double[][] m = new double[layers.size()][heads];
            for (int i = 0; i < layers.size(); i++) {
                Arrays.fill(m[i], Double.NaN);
                for (int h = 0; h < layers.get(i).path("attn_js").size() && h < heads; h++) m[i][h] = num(layers.get(i).path("attn_js").get(h));
            }
            b.append(figure(Charts.heatMap("Attention JS divergence per head", labels, cols, m, "JS divergence"),
                    "The same divergence per attention head: a single dark cell is one head whose pattern the vectors redirect."));
        }
        b.append("<p>Block L−1 (the first block the penultimate vector reaches): attention JS <b>").append(Html.text(Html.num(num(a.path("penultimate_attention_js")), 4)))
                .append("</b>, MLP output change <b>").append(Html.text(Html.num(num(a.path("penultimate_mlp_change")), 3))).append("</b>.</p>");
        return b.toString();
    }

    String tokenCategories() {
        JsonNode t = d.tokenCategories();
        if (t.isMissingNode()) return missing("token_categories.json");
        List<String> cats = new ArrayList<>();
        for (JsonNode c : t.path("categories")) cats.add(c.asText());
        if (cats.isEmpty()) cats = List.of("process", "structure", "other");
        StringBuilder b = new StringBuilder();
        b.append("<table><tr><th>category</th><th>examples</th></tr>");
        for (String c : cats)
            if (t.path("examples").has(c)) b.append("<tr><td>").append(Html.text(c)).append("</td><td>").append(stringChips(t.path("examples").path(c), 24)).append("</td></tr>");
        b.append("</table>");
        JsonNode lens = t.path("lens");
        if (lens.isEmpty()) b.append(missing("token_categories.json lens"));
        else {
            List<String> labels = new ArrayList<>();
            List<Charts.Series> series = new ArrayList<>();
            double[][] v = new double[cats.size()][lens.size()];
            for (int i = 0; i < lens.size(); i++) {
                labels.add(layerLabel(lens.get(i)));
                for (int c = 0; c < cats.size(); c++) v[c][i] = num(lens.get(i).path("mean_logit").path(cats.get(c)));
            }
            for (int c = 0; c < cats.size(); c++) series.add(new Charts.Series(cats.get(c), v[c]));
            b.append(figure(Charts.groupedBars("Mean lens logit per token category and layer", labels, series, "mean logit"),
                    "The mean logit-lens logit each layer's vector gives to the tokens of each category. A tall \"process\" bar means "
                            + "the vector pushes reasoning-process words (\"To\", \"Step\", ...) over the rest."));
        }
        JsonNode gen = t.path("generated");
        if (gen.isMissingNode()) b.append(missing("token_categories.json generated"));
        else {
            double[] base = new double[cats.size()], steered = new double[cats.size()];
            for (int c = 0; c < cats.size(); c++) {
                base[c] = num(gen.path("base").path(cats.get(c)));
                steered[c] = num(gen.path("steered").path(cats.get(c)));
            }
            b.append(figure(Charts.groupedBars("Token-category frequency in generated text", cats,
                            List.of(new Charts.Series("base", base), new Charts.Series("steered", steered)), "frequency"),
                    "The fraction of generated tokens in each category, for the base model and with the vectors. The vectors' "
                            + "effect on behaviour shows as a shift between the two bars of a category."));
        }
        return b.toString();
    }

    String neurons() {
        JsonNode layers = d.neurons().path("layers");
        if (layers.isEmpty()) return missing("neurons.json");
        StringBuilder b = new StringBuilder("<div class=\"cols\">");
        for (JsonNode l : layers) {
            int layer = l.path("layer").asInt(-1);
            b.append("<div><h3>Layer ").append(layer).append(Html.text(tag(layer))).append("</h3>")
                    .append("<table><tr><th>neuron</th><th class=\"num\">contribution</th><th class=\"num\">activation change</th></tr>");
            int n = 0;
            for (JsonNode x : l.path("top")) {
                if (n++ >= 15) break;
                b.append("<tr><td>").append(Html.text(x.path("neuron").asText("?"))).append("</td>").append(numCell(num(x.path("contribution")), 3))
                        .append(numCell(num(x.path("activation_change")), 3)).append("</tr>");
            }
            b.append("</table></div>");
        }
        b.append("</div>");
        b.append(caption("The MLP neurons whose change under steering contributes most to the boosted tokens' logits "
                + "(contribution, in logits) and how much their activation changed. Up to 15 per layer."));
        return b.toString();
    }

    String samples() {
        JsonNode s = d.samples().path("samples");
        if (s.isEmpty()) return missing("samples.json");
        StringBuilder b = new StringBuilder();
        b.append(caption("Greedy completions for the same test questions: base model, base with the steering vectors, and the "
                + "full fine-tune. ✓ marks a correct final answer, ✗ a wrong one. Whitespace is shown as written."));
        int shown = 0;
        for (JsonNode x : s) {
            if (shown++ >= 20) break;
            b.append("<div class=\"sample\"><p class=\"q\"><b>Q").append(shown).append(".</b> ").append(Html.text(x.path("question").asText("")))
                    .append(" <span class=\"ans\">answer: ").append(Html.text(x.path("answer").asText("?"))).append("</span></p><div class=\"grid3\">");
            b.append(completion("base", x.path("base"), x.path("base_correct")));
            b.append(completion("vectors", x.path("steered"), x.path("steered_correct")));
            b.append(completion("full fine-tune", x.path("full"), x.path("full_correct")));
            b.append("</div></div>");
        }
        if (s.size() > 20) b.append(caption("Showing 20 of " + s.size() + " samples."));
        return b.toString();
    }

    // ---- small pieces ----

    private static String completion(String who, JsonNode text, JsonNode correct) {
        String mark = correct.isBoolean() ? (correct.asBoolean() ? "<span class=\"ok\">✓ correct</span>" : "<span class=\"bad\">✗ wrong</span>")
                : "<span class=\"nm\">–</span>";
        String body = text.isTextual() ? "<pre>" + Html.text(text.asText()) + "</pre>" : "<p class=\"nm\">" + Html.NOT_MEASURED + "</p>";
        return "<div class=\"comp" + (correct.isBoolean() && correct.asBoolean() ? " right" : "") + "\"><div class=\"who\">" + who + " " + mark + "</div>" + body + "</div>";
    }

    private static Charts.Line rankLine(String name, JsonNode side, int id, boolean zeroBased, String colour, boolean dashed) {
        double[] x = new double[side.size()], y = new double[side.size()];
        for (int i = 0; i < side.size(); i++) {
            JsonNode l = side.get(i);
            x[i] = num(l.path("layer"));
            y[i] = Double.NaN;
            for (JsonNode t : l.path("tracked"))
                if (t.path("id").asInt(-1) == id) y[i] = num(t.path("rank")) + (zeroBased ? 1 : 0);
        }
        return new Charts.Line(name, x, y, colour, dashed);
    }

    static String chip(JsonNode tok, String valueName) {
        if (tok == null || tok.isMissingNode() || tok.isNull()) return "";
        String text = tok.isTextual() ? tok.asText() : tok.path("text").asText("");
        StringBuilder tip = new StringBuilder();
        if (tok.path("id").isNumber()) tip.append("id ").append(tok.path("id").asLong());
        if (tok.path("value").isNumber()) tip.append(tip.isEmpty() ? "" : " · ").append(valueName).append(' ').append(Html.compact(tok.path("value").asDouble()));
        return "<span class=\"tok\"" + (tip.isEmpty() ? "" : " title=\"" + Html.text(tip.toString()) + "\"") + ">" + Html.token(text) + "</span>";
    }

    private static String chips(JsonNode toks, int max, String valueName) {
        if (!toks.isArray() || toks.isEmpty()) return "<span class=\"nm\">" + Html.NOT_MEASURED + "</span>";
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (JsonNode t : toks) {
            if (n++ >= max) break;
            b.append(chip(t, valueName)).append(' ');
        }
        return b.toString();
    }

    private static String stringChips(JsonNode strs, int max) {
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (JsonNode t : strs) {
            if (n++ >= max) break;
            b.append("<span class=\"tok\">").append(Html.token(t.asText())).append("</span> ");
        }
        return b.toString();
    }

    /** {value, ci: [lo, hi]} as "v [lo, hi]", or "–". */
    static String interval(JsonNode vc, int digits) {
        double v = num(vc.path("value"));
        if (Double.isNaN(v)) return "–";
        return Html.num(v, digits) + " [" + Html.num(num(vc.path("ci").path(0)), digits) + ", " + Html.num(num(vc.path("ci").path(1)), digits) + "]";
    }

    /** {v, lo, hi} as "v [lo, hi]", "v" when the interval is not known, or "–". */
    static String interval(double[] v, int digits) {
        if (Double.isNaN(v[0])) return "–";
        if (Double.isNaN(v[1]) || Double.isNaN(v[2])) return Html.num(v[0], digits);
        return Html.num(v[0], digits) + " [" + Html.num(v[1], digits) + ", " + Html.num(v[2], digits) + "]";
    }

    /** A bar series from rows {v, lo, hi}. */
    private static Charts.Series series(String name, double[][] rows) {
        double[] v = new double[rows.length], lo = new double[rows.length], hi = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            v[i] = rows[i][0];
            lo[i] = rows[i][1];
            hi[i] = rows[i][2];
        }
        return new Charts.Series(name, v, lo, hi);
    }

    /** An accuracy node {accuracy, ci} as v, lo, hi. */
    private static double[] acc(JsonNode a) {
        return new double[] {num(a.path("accuracy")), num(a.path("ci").path(0)), num(a.path("ci").path(1))};
    }

    String singleLayer() {
        JsonNode s = d.file("single_layer");
        if (s.path("layers").isEmpty()) return missing("single_layer.json");
        List<String> labels = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        labels.add("base (no vector)");
        rows.add(acc(s.path("base")));
        for (JsonNode l : s.path("layers")) {
            labels.add("layer " + l.path("layer").asInt() + " alone");
            rows.add(acc(l));
        }
        StringBuilder b = new StringBuilder(figure(intervalsOf("Sampled accuracy of each single-layer vector", labels, rows, "accuracy (T = 1)", rows.get(0)[0]),
                "One RL run per layer, the vector trained alone on that layer (the paper's Figure 1); accuracy is the mean over "
                        + s.path("n_problems").asInt() + " problems of the fraction of " + s.path("k").asInt() + " samples at T = 1 "
                        + "that are correct, with a 95% bootstrap interval over problems. The dashed line is the base model."));
        b.append("<table><tr><th>layer</th><th class=\"num\">sampled accuracy [95% interval]</th><th class=\"num\">gain over base [95% interval]</th>"
                + "<th class=\"num\">‖v‖</th><th class=\"num\">training s</th></tr>");
        for (JsonNode l : s.path("layers"))
            b.append("<tr><td>L").append(l.path("layer").asInt()).append("</td><td class=\"num\">").append(Html.text(interval(acc(l), 3)))
                    .append("</td><td class=\"num\">").append(Html.text(interval(l.path("gain_over_base"), 3))).append("</td>")
                    .append(numCell(num(l.path("vector_norm")), 3)).append(numCell(num(l.path("train_seconds")), 1)).append("</tr>");
        b.append("</table>");
        b.append(caption("Gain over base: paired over problems. Training s: the run's RL steps (metrics.jsonl step_seconds), what one more layer costs."));
        return b.toString();
    }

    /** experiment adaptive: both accuracies, then per layer the trained scale and its mean by segment and token category. */
    String adaptive() {
        JsonNode a = d.file("adaptive");
        if (a.path("scale").path("layers").isEmpty()) return missing("adaptive.json");
        JsonNode acc = a.path("accuracy");
        StringBuilder b = new StringBuilder();
        b.append(figure(intervalsOf("Sampled accuracy: plain vs adaptive vectors", List.of("plain vectors", "adaptive vectors"),
                        List.of(acc(acc.path("plain")), acc(acc.path("adaptive"))), "accuracy (T = 1)", acc(acc.path("plain"))[0]),
                "Both trained with the same recipe, prompts and seeds from the same start; accuracy is the mean over "
                        + a.path("n_problems").asInt() + " problems of the fraction of " + a.path("k").asInt()
                        + " samples at T = 1 that are correct, with a 95% bootstrap interval over problems. Adaptive minus plain, paired: "
                        + interval(acc.path("adaptive_minus_plain"), 3) + "."));
        List<String> cats = new ArrayList<>();
        for (JsonNode c : a.path("scale").path("categories")) cats.add(c.asText());
        b.append("<table><tr><th>layer</th><th class=\"num\">b</th><th class=\"num\">|a|</th><th class=\"num\">mean s, prompt</th>"
                + "<th class=\"num\">mean s, generated</th>");
        for (String c : cats) b.append("<th class=\"num\">mean s, ").append(Html.text(c)).append("</th>");
        b.append("</tr>");
        for (JsonNode l : a.path("scale").path("layers")) {
            b.append("<tr><td>").append(l.path("layer").asInt()).append("</td>").append(numCell(num(l.path("b")), 3)).append(numCell(num(l.path("a_norm")), 3));
            b.append("<td class=\"num\">").append(Html.text(interval(l.path("mean_s").path("prompt"), 3))).append("</td>");
            b.append("<td class=\"num\">").append(Html.text(interval(l.path("mean_s").path("generated"), 3))).append("</td>");
            for (String c : cats) b.append("<td class=\"num\">").append(Html.text(interval(l.path("mean_s_by_category").path(c), 3))).append("</td>");
            b.append("</tr>");
        }
        b.append("</table>");
        b.append(caption("s(h) = a·h + b multiplies each layer's vector at every token (1 = the plain vector). Means over the tokens of "
                + a.path("scale").path("samples_read").asInt() + " sampled completions of the adaptive run (prompt tokens vs generated ones, "
                + "and by category of the token at that position), each the mean of per-completion means with a 95% bootstrap interval."));
        return b.toString();
    }

    private static String intervalsOf(String title, List<String> labels, List<double[]> rows, String xLabel, double reference) {
        double[] v = new double[rows.size()], lo = new double[rows.size()], hi = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            v[i] = rows.get(i)[0];
            lo[i] = rows.get(i)[1];
            hi[i] = rows.get(i)[2];
        }
        return Charts.intervals(title, labels, v, lo, hi, xLabel, reference);
    }

    private static double[] vci(JsonNode vc) {
        return new double[] {num(vc.path("value")), num(vc.path("ci").path(0)), num(vc.path("ci").path(1))};
    }

    String deltaP() {
        JsonNode dp = d.file("delta_p");
        if (dp.isMissingNode()) return missing("delta_p.json");
        StringBuilder b = new StringBuilder();
        List<String> labels = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (String which : List.of("last", "penultimate")) {
            JsonNode v = dp.path(which);
            for (String cls : List.of("pos0", "later")) {
                labels.add("L" + v.path("layer").asInt() + " vector, " + (cls.equals("pos0") ? "pos 0" : "later positions"));
                rows.add(vci(v.path("position_classes").path(cls).path("kl")));
            }
        }
        b.append(figure(intervalsOf("Per-token KL(P_zeroed ‖ P_steered) by position class", labels, rows, "KL (nats)", 0),
                "Completions sampled from the model steered by one single-layer vector at T = 1, ending with end-of-sequence, "
                        + "teacher-forced with the vector on and zeroed; the mean KL per sequence at the first generated token (pos 0) "
                        + "and at the later ones, with 95% bootstrap intervals over sequences."));
        b.append("<table><tr><th>vector</th><th>sequences</th><th>share of KL at pos 0</th><th>KL pos 0 − later</th><th>tokens boosted at pos 0 (mean Δp)</th></tr>");
        for (String which : List.of("last", "penultimate")) {
            JsonNode v = dp.path(which);
            StringBuilder toks = new StringBuilder();
            int n = 0;
            for (JsonNode t : v.path("pos0_boosted")) {
                if (n++ >= 6) break;
                toks.append("<span class=\"tok\">").append(Html.token(t.path("text").asText())).append("</span> ")
                        .append(Html.text(Html.num(num(t.path("value")), 3))).append(' ');
            }
            b.append("<tr><td>L").append(v.path("layer").asInt()).append("</td><td class=\"num\">").append(v.path("n_sequences").asInt())
                    .append(" of ").append(v.path("n_eos").asInt()).append(" with EOS</td><td class=\"num\">")
                    .append(Html.text(interval(v.path("pos0_kl_share"), 3))).append("</td><td class=\"num\">")
                    .append(Html.text(interval(v.path("kl_pos0_minus_later"), 3))).append("</td><td>").append(toks).append("</td></tr>");
        }
        b.append("</table>");
        b.append(caption("Share of KL at pos 0: the summed KL at the first generated token over the summed KL of all positions. "
                + "Boosted tokens: the largest mean Δp = p_steered − p_zeroed over the pos-0 rows."));
        b.append("<table><tr><th>vector</th><th>category</th><th>top-Δp token in it</th><th>generated token in it</th>"
                + "<th>p moved onto it at pos 0</th><th>p moved onto it per position</th></tr>");
        for (String which : List.of("last", "penultimate")) {
            JsonNode v = dp.path(which);
            for (String cat : List.of("process", "structure")) {
                JsonNode c = v.path("categories").path(cat);
                b.append("<tr><td>L").append(v.path("layer").asInt()).append("</td><td>").append(cat).append("</td>").append("<td class=\"num\">").append(Html.text(interval(c.path("top_dp_share"), 3)))
                        .append("</td><td class=\"num\">").append(Html.text(interval(c.path("generated_share"), 3))).append("</td><td class=\"num\">").append(Html.text(interval(c.path("mass_shift_pos0"), 3)))
                        .append("</td><td class=\"num\">").append(Html.text(interval(c.path("mass_shift"), 3))).append("</td></tr>");
            }
        }
        b.append("</table>");
        return b.toString();
    }

    String prefix() {
        JsonNode p = d.file("prefix");
        if (p.isMissingNode()) return missing("prefix.json");
        if (p.path("prefix").isMissingNode()) return "<p class=\"nm\">" + Html.text(p.path("fraction_reason").asText("not measured")) + "</p>";
        List<String> labels = List.of("base", "base + '" + Html.visible(p.path("token").path("text").asText()) + "' as the first token", "last-layer vector");
        List<double[]> rows = List.of(acc(p.path("base")), acc(p.path("prefix")), acc(p.path("vector")));
        StringBuilder b = new StringBuilder(figure(intervalsOf("Sampled accuracy: the vector's top first token as a prefix", labels, rows, "accuracy (T = 1)", Double.NaN),
                "The base model with the last-layer vector's most boosted first token appended to the prompt, no vector."));
        b.append("<p>Gain of the prefix: <b>").append(Html.text(interval(p.path("gain_prefix"), 3))).append("</b>; of the vector: <b>")
                .append(Html.text(interval(p.path("gain_vector"), 3))).append("</b>; fraction: <b>")
                .append(p.path("fraction").isObject() ? Html.text(interval(p.path("fraction"), 2)) : "none (" + Html.text(p.path("fraction_reason").asText()) + ")")
                .append("</b>.</p>");
        return b.toString();
    }

    String circuit() {
        JsonNode c = d.file("circuit");
        if (c.path("conditions").isEmpty()) return missing("circuit.json");
        List<String> labels = new ArrayList<>();
        List<double[]> accs = new ArrayList<>(), kls = new ArrayList<>();
        for (JsonNode cond : c.path("conditions")) {
            labels.add(cond.path("name").asText());
            accs.add(acc(cond));
            kls.add(vci(cond.path("kl")));
        }
        double steered = accs.isEmpty() ? Double.NaN : accs.get(0)[0];
        StringBuilder b = new StringBuilder();
        b.append(figure(intervalsOf("Sampled accuracy per patch of block " + c.path("block").asInt(), labels, accs, "accuracy (T = 1)", steered),
                "The penultimate vector (layer " + c.path("vector_layer").asInt() + ") alone, with block " + c.path("block").asInt()
                        + " patched: skip_attention (its attention reads the residual without the vector), skip_layer (the whole block "
                        + "does), patch_q/k/v[_head/_group] (those heads' queries, keys or values do), inverse_* (only those read the "
                        + "steered residual). Dashed: the unpatched steered model."));
        b.append(figure(intervalsOf("Per-token KL(P_steered ‖ P_patched)", labels, kls, "KL (nats)", 0),
                "On completions sampled from the steered model, teacher-forced; 95% intervals over sequences."));
        JsonNode js = c.path("attention_js");
        b.append("<p>Attention JS of block ").append(js.path("block").asInt()).append(": vector <b>").append(Html.text(interval(js.path("vector"), 4)))
                .append("</b>, random vector of the same norm <b>").append(Html.text(interval(js.path("random_same_norm"), 4)))
                .append("</b>, difference <b>").append(Html.text(interval(js.path("vector_minus_random"), 4))).append("</b>.</p>");
        return b.toString();
    }

    String persistence() {
        JsonNode p = d.file("persistence");
        if (p.path("vectors").isEmpty()) return missing("persistence.json");
        List<Charts.Line> lines = new ArrayList<>();
        int i = 0;
        for (JsonNode v : p.path("vectors")) {
            JsonNode layers = v.path("layers");
            double[] x = new double[layers.size()], dv = new double[layers.size()], dd = new double[layers.size()];
            for (int k = 0; k < layers.size(); k++) {
                x[k] = layers.get(k).path("layer").asInt();
                dv[k] = num(layers.get(k).path("diff_vector").path("value"));
                dd[k] = num(layers.get(k).path("diff_diff").path("value"));
            }
            String colour = Charts.PALETTE[i++ % Charts.PALETTE.length];
            lines.add(new Charts.Line("L" + v.path("vector_layer").asInt() + " Diff-Vector", x, dv, colour, false));
            lines.add(new Charts.Line("L" + v.path("vector_layer").asInt() + " Diff-Diff", x, dd, colour, true));
        }
        return figure(Charts.lines("Cosine of the propagated difference with the vector and with the mean difference", lines, "layer", "cosine", false),
                "For a vector trained alone on layer l: at each layer m ≥ l, the residual difference steered − base at each prompt token, "
                        + "its cosine with the vector (Diff-Vector, solid) and with the mean difference at that layer (Diff-Diff, dashed), "
                        + "averaged over tokens and prompts. Both are 1 at layer l.");
    }

    String middleLayers() {
        JsonNode m = d.file("middle_layers");
        if (m.isMissingNode()) return missing("middle_layers.json");
        StringBuilder b = new StringBuilder("<table><tr><th>layer</th><th>bottom lens tokens (distractor tokens marked *)</th></tr>");
        for (JsonNode l : m.path("layers")) {
            StringBuilder t = new StringBuilder();
            for (JsonNode tok : l.path("bottom"))
                t.append("<span class=\"tok\">").append(Html.token(tok.path("text").asText())).append("</span>").append(tok.path("distractor").asBoolean(false) ? "* " : " ");
            b.append("<tr><td>L").append(l.path("layer").asInt()).append("</td><td>").append(t).append("</td></tr>");
        }
        b.append("</table>");
        if (m.path("distractor_share").isObject()) {
            b.append("<p>Distractor share of the bottom tokens: <b>").append(Html.text(interval(m.path("distractor_share"), 3)))
                    .append("</b> against chance <b>").append(Html.text(Html.num(num(m.path("chance")), 3))).append("</b>.</p>");
        } else {
            b.append("<p class=\"nm\">").append(Html.text(m.path("reason").asText("not measured"))).append("</p>");
        }
        return b.toString();
    }

    String combineLayers() {
        JsonNode c = d.file("combine_layers");
        List<String> names = new ArrayList<>();
        for (JsonNode l : c.path("layers")) names.add("L" + l.asInt());
        int n = names.size();
        double[][] acc = matrix(c.path("matrix").path("accuracy"), n), minusBest = matrix(c.path("matrix").path("minus_best"), n);
        StringBuilder b = new StringBuilder();
        b.append(figure(Charts.heatMap("Sampled accuracy: single vectors (diagonal) and pairs", names, names, acc, "accuracy"),
                "Each layer's vector was trained alone on that layer; a pair is the two applied together. Mean over " + c.path("n_problems").asInt()
                        + " problems of the fraction of " + c.path("k").asInt() + " samples at T = 1 that are correct; the base model scores "
                        + Html.num(num(c.path("base").path("accuracy")), 3) + "."));
        b.append(figure(Charts.heatMap("Pair minus its better single vector", names, names, minusBest, "accuracy difference"),
                "acc(pair) − max(acc(i), acc(j)): above 0 where two vectors together beat the better one alone (intervals in the table)."));
        b.append("<table><tr><th>pair</th><th>cosine</th><th>accuracy</th><th>pair − better single</th><th>gain relative to the better single</th></tr>");
        for (JsonNode p : c.path("pairs")) {
            b.append("<tr><td>L").append(p.path("layers").path(0).asInt()).append(" + L").append(p.path("layers").path(1).asInt()).append("</td>")
                    .append(numCell(num(p.path("cosine")), 3)).append("<td class=\"num\">").append(Html.text(Html.num(acc(p.path("accuracy"))[0], 3)))
                    .append(" [").append(Html.text(Html.num(acc(p.path("accuracy"))[1], 3))).append(", ").append(Html.text(Html.num(acc(p.path("accuracy"))[2], 3)))
                    .append("]</td><td class=\"num\">").append(Html.text(interval(p.path("minus_best"), 3))).append("</td>")
                    .append(p.path("relative").isObject() ? "<td class=\"num\">" + Html.text(interval(p.path("relative"), 3)) + "</td>"
                            : "<td class=\"nm\">" + Html.text(p.path("relative_reason").asText("not measured")) + "</td>").append("</tr>");
        }
        b.append("</table>");
        b.append("<p>Correlation over pairs of the cosine of the two vectors with (pair − better single): <b>")
                .append(Html.text(interval(c.path("correlation_minus_best"), 3))).append("</b>; with the relative gain: <b>")
                .append(Html.text(c.path("correlation_relative").isObject() ? interval(c.path("correlation_relative"), 3) : "–")).append("</b>")
                .append(c.path("correlation_reason").isTextual() ? " <span class=\"nm\">(" + Html.text(c.path("correlation_reason").asText()) + ")</span>" : "")
                .append(".</p>");
        b.append(caption("Relative gain = (acc(pair) − base) / (max(acc(i), acc(j)) − base), given only when the better single vector's gain is "
                + "positive beyond its 95% interval. All intervals are 95% bootstrap intervals over problems (every condition resampled together)."));
        return b.toString();
    }

    String transfer() {
        JsonNode t = d.file("transfer");
        List<String> labels = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (String side : List.of("from", "to")) {
            String who = side.equals("from") ? "from-model" : "to-model";
            for (String[] c : new String[][] {{"none", "no vector"}, {"own", "own vector"}, {"transferred", "other model's vector"}}) {
                labels.add(who + ", " + c[1]);
                JsonNode a = t.path(side).path(c[0]);
                rows.add(a.isObject() ? acc(a) : new double[] {Double.NaN, Double.NaN, Double.NaN});
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(figure(intervalsOf("Sampled accuracy of each model with no vector, its own and the other's", labels, rows, "accuracy (T = 1)", Double.NaN),
                "from-model: " + t.path("models").path("from").asText() + "; to-model: " + t.path("models").path("to").asText() + ". Mean over "
                        + t.path("n_problems").asInt() + " problems of the fraction of " + t.path("k").asInt() + " samples at T = 1 that are correct, "
                        + "95% bootstrap intervals over problems; every condition samples with the same seeds."));
        for (String k : List.of("kept_fraction", "kept_fraction_reverse")) {
            if (!t.has(k)) continue;
            b.append("<p>").append(k.equals("kept_fraction") ? "Kept fraction (the from-model's vectors on the to-model)" : "Kept fraction, reverse (the to-model's vectors on the from-model)")
                    .append(": <b>").append(Html.text(t.path(k).isObject() ? interval(t.path(k), 3) : "–")).append("</b>, transferred gain / ")
                    .append(Html.text(t.path(k + "_denominator").asText())).append(t.path(k + "_reason").isTextual()
                            ? " <span class=\"nm\">(" + Html.text(t.path(k + "_reason").asText()) + ")</span>" : "").append(".</p>");
        }
        return b.toString();
    }

    String compareFinetune() {
        JsonNode c = d.file("compare_finetune");
        StringBuilder b = new StringBuilder();
        List<String> labels = List.of("base", "vectors", "full fine-tune");
        List<double[]> rows = new ArrayList<>();
        for (String k : List.of("base", "vectors", "full")) rows.add(acc(c.path("accuracy").path(k)));
        b.append(figure(intervalsOf("Sampled accuracy", labels, rows, "accuracy (T = 1)", rows.get(0)[0]),
                "Mean over " + c.path("n_problems").asInt() + " problems of the fraction of " + c.path("k").asInt()
                        + " samples at T = 1 that are correct, 95% bootstrap intervals over problems. Full − vectors: "
                        + interval(c.path("full_minus_vectors"), 3) + "."));
        List<Charts.Line> lines = new ArrayList<>();
        String[][] series = {{"delta_p_full_vs_base", "KL(base ‖ full), full's samples"}, {"delta_p_vectors_vs_base", "KL(base ‖ steered), vectors' samples"},
                {"kl_full_vs_steered", "KL(full ‖ steered), full's samples"}};
        for (int i = 0; i < series.length; i++) {
            JsonNode pos = c.path(series[i][0]).path("by_position");
            double[] x = new double[pos.size()], y = new double[pos.size()];
            for (int k = 0; k < pos.size(); k++) {
                x[k] = pos.get(k).path("pos").asInt();
                y[k] = num(pos.get(k).path("kl").path("value"));
            }
            lines.add(new Charts.Line(series[i][1], x, y, Charts.PALETTE[i], i == 2));
        }
        b.append(figure(Charts.lines("Mean per-token KL by completion position", lines, "completion position (0 = first generated token)", "KL (nats)", false),
                "Completions sampled at T = 1 that end with end-of-sequence, teacher-forced through both models; the mean over the sequences that "
                        + "reach each position (intervals in compare_finetune.json). Low KL(full ‖ steered) where the vectors predict what the fine-tune predicts."));
        b.append("<table><tr><th>sequences</th><th>KL at pos 0</th><th>KL later</th><th>share of KL at pos 0</th></tr>");
        for (String[] sr : series) {
            JsonNode dp = c.path(sr[0]);
            b.append("<tr><td>").append(Html.text(sr[1])).append(" (").append(dp.path("n_sequences").asInt()).append(")</td><td class=\"num\">")
                    .append(Html.text(interval(dp.path("position_classes").path("pos0").path("kl"), 3))).append("</td><td class=\"num\">")
                    .append(Html.text(interval(dp.path("position_classes").path("later").path("kl"), 3))).append("</td><td class=\"num\">")
                    .append(Html.text(interval(dp.path("pos0_kl_share"), 3))).append("</td></tr>");
        }
        b.append("</table>");
        b.append("<table><tr><th>layer</th><th>cos(full diff, vectors diff)</th><th>cos(full diff, vector)</th><th>lens of the fine-tune's mean difference</th>"
                + "<th>lens of the vector</th><th>top-10 shared with the vectors' difference</th></tr>");
        for (JsonNode l : c.path("layers")) {
            b.append("<tr><td>L").append(l.path("layer").asInt()).append("</td><td class=\"num\">").append(Html.text(interval(l.path("cosine_full_vectors_diff"), 3)))
                    .append("</td><td class=\"num\">").append(Html.text(l.path("cosine_full_diff_vector").isObject() ? interval(l.path("cosine_full_diff_vector"), 3) : "–"))
                    .append("</td><td>").append(chips(l.path("full_top"), 6, "lens")).append("</td><td>").append(chips(l.path("vector_top"), 6, "lens"))
                    .append("</td>").append(numCell(num(l.path("top_overlap_full_vectors_diff")), 2)).append("</tr>");
        }
        b.append("</table>");
        b.append(caption("Per layer, the mean over prompt tokens of hook_resid_post (full fine-tune − base), and of (base with the vectors − base), "
                + "read through the base model's final norm and unembedding; cosines per prompt, then the mean over prompts with a 95% bootstrap interval."));
        return b.toString();
    }

    /** An n x n JSON array of numbers (nulls as NaN). */
    private static double[][] matrix(JsonNode rows, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i][j] = num(rows.path(i).path(j));
        return m;
    }

    static String missing(String what) {
        return "<p class=\"nm\">Not measured: " + Html.text(what) + " is missing or unreadable.</p>";
    }

    static String figure(String svg, String caption) {
        return "<figure>" + svg + "<figcaption>" + Html.text(caption) + "</figcaption></figure>\n";
    }

    static String caption(String s) {
        return "<p class=\"caption\">" + Html.text(s) + "</p>\n";
    }

    private static String row(String label, String value) {
        return "<tr><td>" + Html.text(label) + "</td><td class=\"num\">" + Html.text(value) + "</td></tr>";
    }

    private static String numCell(double v, int digits) {
        return "<td class=\"num\">" + cell(v, digits) + "</td>";
    }

    private static String cell(double v, int digits) {
        return Double.isNaN(v) ? "<span class=\"nm\">–</span>" : Html.text(Html.num(v, digits));
    }

    private static String count(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%,d", n.asLong()) : Html.NOT_MEASURED;
    }

    private static String layerLabel(JsonNode l) {
        return l.path("layer").isNumber() ? "L" + l.path("layer").asInt() : "L?";
    }

    private String tag(int layer) {
        return layer == last ? " (last)" : layer == last - 1 ? " (penultimate)" : "";
    }

    private static String conditionLabel(JsonNode c) {
        String name = c.path("name").asText("?");
        String layer = c.path("layer").isNumber() ? String.valueOf(c.path("layer").asInt()) : "";
        if (name.startsWith("only_layer")) return "only L" + (layer.isEmpty() ? name.substring(name.lastIndexOf('_') + 1) : layer);
        if (name.startsWith("all_but_layer")) return "all but L" + (layer.isEmpty() ? name.substring(name.lastIndexOf('_') + 1) : layer);
        return name;
    }

    private static double[] column(List<JsonNode> rows, String field) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = num(rows.get(i).path(field));
        return out;
    }

    private static double[] filledNaN(int n) {
        double[] a = new double[n];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    private static double[] toArray(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Light to dark blue for layer k of n (the early-to-late ramp of the norm chart). */
    private static String ramp(int k, int n) {
        double t = n <= 1 ? 1 : 0.35 + 0.65 * k / (n - 1.0);
        return Charts.colour(t, false);
    }
}
