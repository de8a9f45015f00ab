package steerscope.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * Everything the report reads from an analysis directory (docs/analysis-format.md), loaded leniently: a
 * missing or unreadable file becomes a {@link MissingNode} plus a note in {@link #notes}, so every section
 * can say "not measured" in place instead of the whole report failing.
 */
public final class RunData {
    /** The analysis files, in the order the report uses them. */
    public static final List<String> FILES = List.of("summary", "logit_lens_vectors", "logit_lens_resid", "ablations",
            "path_patching", "attention_vs_mlp", "token_categories", "neurons", "samples",
            "single_layer", "delta_p", "prefix", "circuit", "persistence", "middle_layers",
            "combine_layers", "transfer", "compare_finetune", "adaptive");

    public final Path dir;
    private final Map<String, JsonNode> files = new LinkedHashMap<>();
    /** Per file (or run): "read", "missing", "from analysis.json" or "unreadable: why". */
    public final Map<String, String> notes = new LinkedHashMap<>();
    /** metrics.jsonl of the RL runs, keyed "vectors" and "full"; an absent run has an empty list. */
    public final Map<String, List<JsonNode>> metrics = new LinkedHashMap<>();

    private RunData(Path dir) {
        this.dir = dir;
    }

    public static RunData load(Path dir) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": not a directory (expected the analysis output directory)");
        RunData d = new RunData(dir);
        JsonNode combined = d.readOptional(dir.resolve("analysis.json"), "analysis.json");
        for (String name : FILES) {
            Path p = dir.resolve(name + ".json");
            JsonNode n = d.readOptional(p, name + ".json");
            if (n.isMissingNode() && combined.has(name)) {
                n = combined.get(name);
                d.notes.put(name + ".json", "from analysis.json");
            }
            d.files.put(name, n);
        }
        for (String run : List.of("vectors", "full")) d.metrics.put(run, d.readMetrics(run));
        return d;
    }

    /** The file NAME.json (one of {@link #FILES}), or a MissingNode. */
    public JsonNode file(String name) {
        JsonNode n = files.get(name);
        return n == null ? MissingNode.getInstance() : n;
    }

    public JsonNode summary() { return files.get("summary"); }
    public JsonNode lensVectors() { return files.get("logit_lens_vectors"); }
    public JsonNode lensResid() { return files.get("logit_lens_resid"); }
    public JsonNode ablations() { return files.get("ablations"); }
    public JsonNode pathPatching() { return files.get("path_patching"); }
    public JsonNode attentionVsMlp() { return files.get("attention_vs_mlp"); }
    public JsonNode tokenCategories() { return files.get("token_categories"); }
    public JsonNode neurons() { return files.get("neurons"); }
    public JsonNode samples() { return files.get("samples"); }

    /**
     * The last decoder layer: the highest layer index any file mentions. The files do not carry n_layers;
     * attention_vs_mlp.json covers every layer, so when it is there this is n_layers-1. -1 when unknown.
     */
    public int lastLayer() {
        int last = -1;
        for (JsonNode arr : List.of(lensVectors().path("layers"), pathPatching().path("layers"), attentionVsMlp().path("layers"),
                neurons().path("layers"), tokenCategories().path("lens"), summary().path("analysis").path("path_shares")))
            for (JsonNode l : arr) if (l.path("layer").canConvertToInt()) last = Math.max(last, l.path("layer").asInt());
        return last;
    }

    /** The element of {@code array} whose "layer" is {@code layer}, or a MissingNode. */
    public static JsonNode layer(JsonNode array, int layer) {
        for (JsonNode l : array) if (l.path("layer").canConvertToInt() && l.path("layer").asInt() == layer) return l;
        return MissingNode.getInstance();
    }

    /** A number field as a double, NaN when absent or not a number (NaN reads as "not measured"). */
    public static double num(JsonNode n) {
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private JsonNode readOptional(Path p, String label) {
        if (!Files.isRegularFile(p)) {
            notes.put(label, "missing");
            return MissingNode.getInstance();
        }
        try {
            JsonNode n = Json.read(p);
            notes.put(label, "read");
            return n;
        } catch (UserError e) {
            notes.put(label, "unreadable: " + e.getMessage());
            return MissingNode.getInstance();
        }
    }

    /**
     * Reads a run's metrics.jsonl. The run directory is summary.runs.{run} (relative paths are relative to
     * the analysis directory), else runs/{run} beside the files. A line that is not JSON (a run killed mid
     * write) is skipped and counted in the notes.
     */
    private List<JsonNode> readMetrics(String run) {
        String label = "runs." + run + " metrics.jsonl";
        JsonNode named = summary().path("runs").path(run);
        Path runDir = named.isTextual() ? dir.resolve(named.asText()) : dir.resolve("runs").resolve(run);
        Path p = runDir.resolve("metrics.jsonl");
        List<JsonNode> rows = new ArrayList<>();
        if (!Files.isRegularFile(p)) {
            notes.put(label, "missing (" + p + ")");
            return rows;
        }
        int bad = 0;
        try {
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    JsonNode n = Json.MAPPER.readTree(line);
                    if (n.isObject()) rows.add(n);
                    else bad++;
                } catch (IOException e) {
                    bad++;
                }
            }
        } catch (IOException e) {
            notes.put(label, "unreadable: " + p + ": " + e.getMessage());
            return rows;
        }
        notes.put(label, "read " + rows.size() + " steps" + (bad > 0 ? ", skipped " + bad + " malformed lines" : ""));
        return rows;
    }
}
