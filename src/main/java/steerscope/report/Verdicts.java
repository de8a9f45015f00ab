package steerscope.report;

import static steerscope.report.RunData.num;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The paper's three claims, each checked against this run's numbers with a stated threshold. A claim passes
 * when every check it rests on was measured and passes, fails when any measured check fails, and is
 * undecided ("–") otherwise.
 */
public final class Verdicts {
    /** Claim 1: vectors recover at least this fraction of the full fine-tune's accuracy gain over the base. */
    public static final double RECOVERED_MIN = 0.8;
    /** Claim 2: steering only the first generated token recovers at least this fraction of the vectors' gain. */
    public static final double FIRST_TOKEN_RECOVERY_MIN = 0.5;
    /** Claim 2: at least this share of the last-layer vector's effect on the boosted tokens is direct. */
    public static final double LAST_DIRECT_SHARE_MIN = 0.5;
    /** Claim 2: a process token must be among this many top logit-lens tokens of the last-layer vector. */
    public static final int PROCESS_TOP_K = 10;
    /** Claim 3: the penultimate vector changes attention patterns by less than this mean Jensen-Shannon divergence. */
    public static final double PENULTIMATE_JS_MAX = 0.05;
    /** Used when token_categories.json does not list its process examples. */
    public static final List<String> DEFAULT_PROCESS_TOKENS = List.of("To", "Step", "First", "Let", "We", "So", "Now",
            "Then", "Next", "Therefore", "Since", "Thus");

    public enum Status {
        PASS("✓"), FAIL("✗"), UNDECIDED("–");
        public final String mark;

        Status(String mark) {
            this.mark = mark;
        }
    }

    /** One measured check behind a claim; {@code ok} is null when it was not measured. */
    public record Check(String what, String measured, Boolean ok) {}

    public record Verdict(String id, String claim, String rule, List<Check> checks, Status status) {}

    private Verdicts() {}

    public static List<Verdict> compute(RunData d) {
        return List.of(recovery(d), lastLayer(d), penultimate(d));
    }

    static Verdict recovery(RunData d) {
        JsonNode s = d.summary();
        double base = num(s.path("base_accuracy")), vec = num(s.path("vectors_accuracy")), full = num(s.path("full_finetune_accuracy"));
        double rec = num(s.path("recovered_fraction"));
        String source = "recovered_fraction";
        if (Double.isNaN(rec) && !Double.isNaN(base + vec + full) && full != base) {
            rec = (vec - base) / (full - base);
            source = "(vectors − base) / (full − base)";
        }
        String measured = Double.isNaN(rec) ? Html.NOT_MEASURED
                : Html.num(rec, 2) + " via " + source + " (base " + Html.pct(base) + ", vectors " + Html.pct(vec) + ", full " + Html.pct(full) + ")";
        Check c = new Check("fraction of the full fine-tune's gain", measured, Double.isNaN(rec) ? null : rec >= RECOVERED_MIN);
        return verdict("recovery", "Steering vectors recover most of the full fine-tune's gain",
                "recovered fraction ≥ " + RECOVERED_MIN, List.of(c));
    }

    static Verdict lastLayer(RunData d) {
        int last = d.lastLayer();
        List<Check> checks = new ArrayList<>();

        List<String> top = lastLayerTopTokens(d, last);
        Set<String> process = processTokens(d);
        if (top.isEmpty()) {
            checks.add(new Check("process tokens in the last-layer lens top " + PROCESS_TOP_K, Html.NOT_MEASURED, null));
        } else {
            List<String> hits = top.stream().filter(t -> process.contains(normalise(t))).toList();
            String found = hits.isEmpty() ? "none of the top " + top.size() + " (" + quotedList(top, 5) + ")"
                    : hits.size() + " of the top " + top.size() + ": " + quotedList(hits, 5);
            checks.add(new Check("process tokens in the last-layer lens", found, !hits.isEmpty()));
        }

        double ftr = num(d.ablations().path("first_token_only_recovery"));
        if (Double.isNaN(ftr)) ftr = num(d.summary().path("analysis").path("first_token_only_recovery"));
        checks.add(new Check("first-token-only recovery", Html.num(ftr, 2), Double.isNaN(ftr) ? null : ftr >= FIRST_TOKEN_RECOVERY_MIN));

        double[] shares = shares(d, last);
        checks.add(new Check("direct share of layer " + (last < 0 ? "?" : last) + "'s effect", Html.num(shares[0], 2),
                Double.isNaN(shares[0]) ? null : shares[0] >= LAST_DIRECT_SHARE_MIN));
        return verdict("last-layer", "The last-layer vector is a first-token substitution bias boosting process tokens like 'To'/'Step'",
                "a process token in the top " + PROCESS_TOP_K + "; first-token-only recovery ≥ " + FIRST_TOKEN_RECOVERY_MIN
                        + "; direct path share ≥ " + LAST_DIRECT_SHARE_MIN, checks);
    }

    static Verdict penultimate(RunData d) {
        int pen = d.lastLayer() - 1;
        JsonNode avm = d.attentionVsMlp();
        // the penultimate vector is added after block L-2, so the first block it can change is L-1
        JsonNode row = RunData.layer(avm.path("layers"), pen + 1);
        List<Check> checks = new ArrayList<>();

        double js = num(avm.path("penultimate_attention_js"));
        if (Double.isNaN(js)) js = num(row.path("attn_js_mean"));
        if (Double.isNaN(js)) js = num(d.summary().path("analysis").path("penultimate_attention_js"));
        checks.add(new Check("attention-pattern change (mean JS)", Html.num(js, 4), Double.isNaN(js) ? null : js < PENULTIMATE_JS_MAX));

        double mlp = num(avm.path("penultimate_mlp_change"));
        if (Double.isNaN(mlp)) mlp = num(row.path("mlp_out_change"));
        if (Double.isNaN(mlp)) mlp = num(d.summary().path("analysis").path("penultimate_mlp_change"));
        double attnOut = num(row.path("attn_out_norm_change"));
        checks.add(new Check("MLP-output change vs attention-output change",
                Html.num(mlp, 3) + " vs " + Html.num(attnOut, 3), Double.isNaN(mlp) || Double.isNaN(attnOut) ? null : mlp > attnOut));

        double[] shares = shares(d, pen);
        if (!Double.isNaN(shares[1]) || !Double.isNaN(shares[2]))
            checks.add(new Check("MLP vs attention path share of layer " + pen,
                    Html.num(shares[2], 2) + " vs " + Html.num(shares[1], 2),
                    Double.isNaN(shares[1]) || Double.isNaN(shares[2]) ? null : shares[2] >= shares[1]));
        return verdict("penultimate", "The penultimate-layer vector leaves attention mostly unchanged and acts through the MLP",
                "attention JS < " + PENULTIMATE_JS_MAX + "; MLP change > attention-output change; MLP path share ≥ attention path share (when measured)",
                checks);
    }

    private static Verdict verdict(String id, String claim, String rule, List<Check> checks) {
        boolean anyFail = checks.stream().anyMatch(c -> Boolean.FALSE.equals(c.ok));
        boolean allPass = checks.stream().allMatch(c -> Boolean.TRUE.equals(c.ok));
        Status s = anyFail ? Status.FAIL : allPass ? Status.PASS : Status.UNDECIDED;
        return new Verdict(id, claim, rule, checks, s);
    }

    /** Top tokens of the last-layer vector's logit lens, from logit_lens_vectors.json, else from the summary. */
    static List<String> lastLayerTopTokens(RunData d, int last) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : RunData.layer(d.lensVectors().path("layers"), last).path("top"))
            if (out.size() < PROCESS_TOP_K && t.path("text").isTextual()) out.add(t.path("text").asText());
        if (out.isEmpty())
            for (JsonNode t : d.summary().path("analysis").path("last_layer_top_tokens"))
                if (out.size() < PROCESS_TOP_K && t.isTextual()) out.add(t.asText());
        return out;
    }

    static Set<String> processTokens(RunData d) {
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode t : d.tokenCategories().path("examples").path("process")) if (t.isTextual()) out.add(normalise(t.asText()));
        if (out.isEmpty()) for (String t : DEFAULT_PROCESS_TOKENS) out.add(normalise(t));
        return out;
    }

    /** Path shares {direct, attention, mlp} of a layer, from path_patching.json, else from the summary. */
    static double[] shares(RunData d, int layer) {
        JsonNode s = RunData.layer(d.pathPatching().path("layers"), layer).path("shares");
        if (s.isMissingNode()) s = RunData.layer(d.summary().path("analysis").path("path_shares"), layer);
        return new double[] {num(s.path("direct")), num(s.path("attention")), num(s.path("mlp"))};
    }

    /** Token text compared without leading whitespace or BPE space markers, case-insensitively. */
    static String normalise(String t) {
        return t.replaceFirst("^[\\sĠ▁]+", "").strip().toLowerCase(Locale.ROOT);
    }

    /** Up to {@code max} tokens, quoted with visible whitespace, then "…" if there were more. */
    private static String quotedList(List<String> toks, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(max, toks.size()); i++) b.append(i > 0 ? ", " : "").append('\'').append(Html.visible(toks.get(i))).append('\'');
        return toks.size() > max ? b + ", …" : b.toString();
    }
}
