package steerscope.report;

import static steerscope.report.RunData.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;

/**
 * The paper's claims, each judged on the measurement the paper used, on single-layer vectors
 * (docs/analysis-format.md, {@code verdicts.json}). Every check is a number with a 95% bootstrap interval and a
 * threshold on one side: it is reproduced when the whole interval lies on the claimed side, not reproduced when
 * the whole interval lies on the other side, and inconclusive otherwise (or when it was not measured). A claim
 * is reproduced when all its checks are, not reproduced when any is not, else inconclusive.
 */
public final class Verdicts {
    /** Claim 1: vectors recover at least this fraction of the full fine-tune's sampled-accuracy gain. */
    public static final double RECOVERED_MIN = 0.8;
    /** Claim (i): the base model with the vector's top first token recovers at least this fraction of its gain (the paper: about 3/4). */
    public static final double PREFIX_FRACTION_MIN = 0.5;
    /** Claim (ii): skipping block L−1's attention keeps at least this fraction of the penultimate vector's gain. */
    public static final double SKIP_ATTENTION_RETAINED_MIN = 0.8;

    public enum Status {
        REPRODUCED("✓"), NOT_REPRODUCED("✗"), INCONCLUSIVE("–");
        public final String mark;

        Status(String mark) {
            this.mark = mark;
        }

        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One check: a value with its interval, the threshold and on which side the claim puts it ("above" or
     * "below"), where it was measured (layer of the vector, block read; -1 when not applicable), and a note
     * (why it is not measured, or what it is made of).
     */
    public record Check(String name, double value, double lo, double hi, double threshold, String side, int layer, int block, String note) {
        public Status status() {
            if (Double.isNaN(lo) || Double.isNaN(hi)) return Status.INCONCLUSIVE;
            boolean above = side.equals("above");
            if (above ? lo > threshold : hi < threshold) return Status.REPRODUCED;
            if (above ? hi < threshold : lo > threshold) return Status.NOT_REPRODUCED;
            return Status.INCONCLUSIVE;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("value", fin(value));
            m.put("ci", Arrays.asList(fin(lo), fin(hi)));
            m.put("threshold", threshold);
            m.put("side", side);
            m.put("layer", layer < 0 ? null : layer);
            m.put("block", block < 0 ? null : block);
            m.put("status", status().json());
            m.put("note", note);
            return m;
        }
    }

    /**
     * A claim and its checks. A claim about how a vector achieves its gain has a premise, that gain (its
     * interval above 0): when the premise does not hold there is nothing to explain and the claim is inconclusive.
     */
    public record Verdict(String id, String claim, Check premise, List<Check> checks) {
        Verdict(String id, String claim, List<Check> checks) {
            this(id, claim, null, checks);
        }

        public Status status() {
            if (premise != null && premise.status() != Status.REPRODUCED) return Status.INCONCLUSIVE;
            if (checks.stream().anyMatch(c -> c.status() == Status.NOT_REPRODUCED)) return Status.NOT_REPRODUCED;
            if (!checks.isEmpty() && checks.stream().allMatch(c -> c.status() == Status.REPRODUCED)) return Status.REPRODUCED;
            return Status.INCONCLUSIVE;
        }
    }

    private Verdicts() {}

    public static List<Verdict> compute(RunData d) {
        return List.of(recovery(d), lastLayer(d), penultimate(d), middleLayers(d));
    }

    /** verdicts.json: {claims: [{claim, id, status, checks: [...]}]}. */
    public static void write(RunData d, Path file) {
        List<Object> claims = new ArrayList<>();
        for (Verdict v : compute(d)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("claim", v.claim());
            m.put("id", v.id());
            m.put("status", v.status().json());
            m.put("premise", v.premise() == null ? null : v.premise().json());
            m.put("checks", v.checks().stream().map(Check::json).toList());
            claims.add(m);
        }
        AtomicFiles.writeString(file, Json.writePretty(Map.of("claims", claims)));
    }

    /** Claim 1 on the demo's sampled accuracies: summary.json's recovered_fraction and its interval. */
    static Verdict recovery(RunData d) {
        JsonNode s = d.summary(), acc = s.path("accuracy");
        double rec = num(s.path("recovered_fraction"));
        JsonNode ci = s.path("recovered_fraction_ci");
        String note;
        if (acc.isObject()) {
            note = "sampled accuracy: base " + pct(acc.path("base")) + ", vectors " + pct(acc.path("vectors")) + ", full " + pct(acc.path("full"));
            if (Double.isNaN(rec)) note += "; the full fine-tune's gain is not clearly positive, so no fraction";
        } else {
            note = Double.isNaN(rec) ? "no recovered fraction in summary.json" : "summary.json has no sampled accuracies with intervals";
        }
        return new Verdict("recovery", "Steering vectors recover most of the full fine-tune's gain",
                List.of(new Check("recovered fraction of the gain (sampled, T = 1)", rec, num(ci.path(0)), num(ci.path(1)), RECOVERED_MIN, "above", -1, -1, note)));
    }

    private static String pct(JsonNode a) {
        double m = num(a.path("sampled_mean"));
        JsonNode ci = a.path("sampled_ci");
        return Double.isNaN(m) ? "?" : String.format(Locale.ROOT, "%.1f%% [%.1f, %.1f]", 100 * m, 100 * num(ci.path(0)), 100 * num(ci.path(1)));
    }

    /** Claim (i): the last-layer-only vector acts at the first generated token (Δp, KL) and the prefix token stands in for it. */
    static Verdict lastLayer(RunData d) {
        JsonNode dp = d.file("delta_p").path("last");
        int layer = dp.path("layer").asInt(-1);
        List<Check> checks = new ArrayList<>();
        checks.add(check("KL(P_zeroed ‖ P_steered) at pos 0 minus later positions", dp.path("kl_pos0_minus_later"), 0, "above", layer, -1,
                missing(dp, "delta_p.json")));
        JsonNode pre = d.file("prefix");
        String token = pre.path("token").path("text").isTextual() ? "token '" + Html.visible(pre.path("token").path("text").asText()) + "'" : null;
        String why = pre.path("fraction").isObject() ? token : pre.path("fraction_reason").isTextual() ? pre.path("fraction_reason").asText() : missing(pre, "prefix.json");
        checks.add(check("prefix-token control: fraction of the vector's gain", pre.path("fraction"), PREFIX_FRACTION_MIN, "above", layer, -1, why));
        checks.add(check("probability moved onto process tokens at pos 0, p_steered − p_zeroed",
                dp.path("categories").path("process").path("mass_shift_pos0"), 0, "above", layer, -1, missing(dp, "delta_p.json")));
        return new Verdict("last-layer", "(i) The last-layer vector acts on the first generated token, boosting process tokens like 'To'/'Step'",
                premise(dp, layer), checks);
    }

    /** Claim (ii): the penultimate-only vector acts on block L−1 through its MLP, leaving attention mostly unchanged. */
    static Verdict penultimate(RunData d) {
        JsonNode c = d.file("circuit"), dp = d.file("delta_p").path("penultimate");
        int layer = c.path("vector_layer").asInt(-1), block = c.path("block").asInt(-1);
        List<Check> checks = new ArrayList<>();
        checks.add(check("attention JS of block L−1: vector minus a random vector of its norm", c.path("attention_js").path("vector_minus_random"),
                0, "below", layer, block, missing(c, "circuit.json")));
        JsonNode skip = null;
        for (JsonNode cond : c.path("conditions")) if (cond.path("name").asText().equals("skip_attention")) skip = cond;
        checks.add(check("skip-attention: fraction of the vector's gain kept", skip == null ? null : skip.path("retained"),
                SKIP_ATTENTION_RETAINED_MIN, "above", layer, block,
                skip == null ? missing(c, "circuit.json") : skip.path("retained").path("value").isNull() ? "the vector's gain is not clearly positive" : null));
        for (String cat : List.of("process", "structure")) {
            checks.add(check("probability moved onto " + cat + " tokens, p_steered − p_zeroed per position",
                    dp.path("categories").path(cat).path("mass_shift"), 0, "above", layer, block, missing(dp, "delta_p.json")));
        }
        return new Verdict("penultimate", "(ii) The penultimate-layer vector leaves block L−1's attention mostly unchanged and boosts process and structure tokens",
                premise(dp, layer), checks);
    }

    /** Claim (iii): middle-layer vectors push the distractor language's tokens down. */
    static Verdict middleLayers(RunData d) {
        JsonNode m = d.file("middle_layers");
        double chance = num(m.path("chance"));
        String note = m.path("reason").isTextual() ? m.path("reason").asText() : missing(m, "middle_layers.json");
        return new Verdict("middle-layers", "(iii) Middle-layer vectors de-emphasise the distractor language's tokens",
                List.of(check("share of distractor tokens among the bottom lens tokens of middle-layer vectors (threshold: chance)",
                        m.path("distractor_share"), Double.isNaN(chance) ? 0 : chance, "above", -1, -1, note)));
    }

    /** The single-layer vector's own sampled-accuracy gain over the base model, above 0. */
    private static Check premise(JsonNode dp, int layer) {
        return check("the single-layer vector's sampled-accuracy gain over the base model", dp.path("gain_over_base"), 0, "above", layer, -1,
                missing(dp, "delta_p.json"));
    }

    /** A check from a {value, ci: [lo, hi]} node (null or missing: not measured). */
    private static Check check(String name, JsonNode vc, double threshold, String side, int layer, int block, String note) {
        if (vc == null) vc = MissingNode.getInstance();
        return new Check(name, num(vc.path("value")), num(vc.path("ci").path(0)), num(vc.path("ci").path(1)), threshold, side, layer, block, note);
    }

    private static String missing(JsonNode n, String file) {
        return n.isMissingNode() ? "not measured (" + file + " missing)" : null;
    }

    private static Double fin(double x) {
        return Double.isFinite(x) ? x : null;
    }
}
