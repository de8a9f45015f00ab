package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The headline numbers of an analysis, for summary.json's "analysis" object. Ratios that are undefined
 * (e.g. recovery when the vectors change no answer) are NaN here and null in JSON.
 */
public record AnalysisResult(List<String> lastLayerTopTokens, double firstTokenOnlyRecovery, double penultimateAttentionJs,
                             double penultimateMlpChange, List<PathShare> pathShares, double baseAccuracy, double steeredAccuracy) {

    /** Shares of one layer's vector effect: direct, through later attention, through later MLPs. */
    public record PathShare(int layer, double direct, double attention, double mlp) {}

    /** The "analysis" object of summary.json, field names as docs/analysis-format.md gives them. */
    public Map<String, Object> toSummaryJson() {
        List<Object> shares = new ArrayList<>();
        for (PathShare s : pathShares) {
            shares.add(Out.map("layer", s.layer(), "direct", Out.num(s.direct()), "attention", Out.num(s.attention()), "mlp", Out.num(s.mlp())));
        }
        return Out.map("last_layer_top_tokens", lastLayerTopTokens,
                "first_token_only_recovery", Out.num(firstTokenOnlyRecovery),
                "penultimate_attention_js", Out.num(penultimateAttentionJs),
                "penultimate_mlp_change", Out.num(penultimateMlpChange),
                "path_shares", shares);
    }
}
