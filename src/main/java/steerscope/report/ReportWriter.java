package steerscope.report;

import static steerscope.report.RunData.num;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import steerscope.io.AtomicFiles;

/**
 * Writes report.html from an analysis directory: one self-contained page (inline CSS and SVG, no script,
 * no font, image or link that would leave the file) that opens with the verdict on the paper's three claims
 * and then shows one section per analysis.
 */
public final class ReportWriter {
    private ReportWriter() {}

    /**
     * Reads the analysis files in {@code dir} (whatever of them exists) and writes the report atomically, and
     * beside it {@code verdicts.json}, the verdict table as data.
     */
    public static void write(Path dir, Path outHtml) {
        RunData d = RunData.load(dir);
        AtomicFiles.writeString(outHtml, render(d));
        Path parent = outHtml.toAbsolutePath().getParent();
        Verdicts.write(d, parent.resolve("verdicts.json"));
    }

    /** The whole page as a string. */
    public static String render(RunData d) {
        Sections sections = new Sections(d);
        List<String[]> parts = sections.all();
        StringBuilder b = new StringBuilder(1 << 16);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>steerscope report</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
        b.append("<header><h1>steerscope report</h1><p class=\"meta\">What one trained steering vector per decoder layer does, ")
                .append("following \u201cSmall Vectors, Big Effects\u201d (2025). Analysis directory: <code>")
                .append(Html.text(d.dir.toAbsolutePath().normalize().toString())).append("</code>. Last layer: ")
                .append(d.lastLayer() < 0 ? Html.NOT_MEASURED : "L" + d.lastLayer()).append(".</p></header>\n");

        b.append("<nav><ol><li><a href=\"#verdict\">Verdict</a></li>");
        for (String[] p : parts) b.append("<li><a href=\"#").append(p[0]).append("\">").append(Html.text(p[1])).append("</a></li>");
        b.append("<li><a href=\"#inputs\">Input files</a></li></ol></nav>\n");

        b.append(section("verdict", "Verdict: the paper's claims against this run", verdict(d)));
        for (String[] p : parts) b.append(section(p[0], p[1], p[2]));
        b.append(section("inputs", "Input files", inputs(d)));
        b.append("</main>\n</body>\n</html>\n");
        return b.toString();
    }

    static String verdict(RunData d) {
        StringBuilder b = new StringBuilder("<table class=\"verdict\"><tr><th></th><th>claim</th><th>checks (value [95% interval] vs threshold)</th></tr>\n");
        for (Verdicts.Verdict v : Verdicts.compute(d)) {
            String cls = v.status().json();
            b.append("<tr id=\"verdict-").append(v.id()).append("\" class=\"").append(cls)
                    .append("\"><td class=\"mark\" title=\"").append(cls).append("\">")
                    .append(v.status().mark).append("</td><td>").append(Html.text(v.claim())).append("</td><td><ul>");
            List<Verdicts.Check> all = new ArrayList<>();
            if (v.premise() != null) all.add(v.premise());
            all.addAll(v.checks());
            for (Verdicts.Check c : all) {
                Verdicts.Status s = c.status();
                b.append("<li>").append(c == v.premise() ? "premise: " : "").append(s == Verdicts.Status.INCONCLUSIVE ? "<span class=\"nm\">–</span> "
                                : s == Verdicts.Status.REPRODUCED ? "<span class=\"ok\">✓</span> " : "<span class=\"bad\">✗</span> ")
                        .append(Html.text(c.name())).append(": <b>").append(Html.text(Html.num(c.value(), 3))).append("</b> [")
                        .append(Html.text(Html.num(c.lo(), 3))).append(", ").append(Html.text(Html.num(c.hi(), 3))).append("] ")
                        .append(c.side().equals("above") ? "&gt; " : "&lt; ").append(Html.text(Html.num(c.threshold(), 3)));
                if (c.layer() >= 0) b.append(", vector of L").append(c.layer());
                if (c.block() >= 0) b.append(", block ").append(c.block());
                if (c.note() != null) b.append(" <span class=\"nm\">(").append(Html.text(c.note())).append(")</span>");
                b.append("</li>");
            }
            b.append("</ul></td></tr>\n");
        }
        b.append("</table>\n");
        b.append(Sections.caption("✓ reproduced: every check's 95% bootstrap interval lies on the claimed side of its threshold; "
                + "✗ not reproduced: some check's interval lies wholly on the other side; –: inconclusive (an interval straddles its "
                + "threshold, or it was not measured, or the claim's premise, the vector's own gain, is not clearly positive). The measurements are on vectors trained alone on one layer; thresholds are "
                + "fixed in steerscope.report.Verdicts and the whole table is also written as verdicts.json."));
        return b.toString();
    }

    static String inputs(RunData d) {
        StringBuilder b = new StringBuilder("<table><tr><th>file</th><th>status</th></tr>");
        for (Map.Entry<String, String> e : d.notes.entrySet())
            b.append("<tr><td><code>").append(Html.text(e.getKey())).append("</code></td><td")
                    .append(e.getValue().startsWith("read") || e.getValue().startsWith("from") ? "" : " class=\"nm\"").append('>')
                    .append(Html.text(e.getValue())).append("</td></tr>");
        b.append("</table>");
        JsonNode s = d.summary();
        if (s.path("seeds").isContainerNode() || s.path("seeds").isValueNode())
            b.append("<p>Seeds: <code>").append(Html.text(s.path("seeds").toString())).append("</code></p>");
        JsonNode stages = s.path("stage_seconds");
        if (stages.isObject() && !stages.isEmpty()) {
            b.append("<table><tr><th>stage</th><th class=\"num\">seconds</th></tr>");
            stages.fields().forEachRemaining(e -> b.append("<tr><td>").append(Html.text(e.getKey())).append("</td><td class=\"num\">")
                    .append(Html.text(Html.num(num(e.getValue()), 1))).append("</td></tr>"));
            b.append("</table>");
        }
        return b.toString();
    }

    private static String section(String id, String title, String body) {
        return "<section id=\"" + id + "\">\n<h2>" + Html.text(title) + "</h2>\n" + body + "</section>\n";
    }

    private static final String CSS = """
            :root { color-scheme: light; }
            body { margin: 0; background: #f4f5f7; color: #222;
              font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif; }
            main { max-width: 900px; margin: 0 auto; padding: 20px 32px 64px; background: #fff; min-height: 100vh; }
            h1 { font-size: 28px; margin: 12px 0 4px; }
            h2 { font-size: 20px; margin: 40px 0 10px; padding-top: 14px; border-top: 1px solid #e3e3e3; }
            h3 { font-size: 15px; margin: 22px 0 6px; color: #444; }
            p.meta { color: #555; margin-top: 0; }
            code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px;
              background: #f1f3f5; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
            nav ol { columns: 2; font-size: 14px; color: #555; padding-left: 20px; }
            nav a { color: #3b6fa8; text-decoration: none; }
            figure { margin: 14px 0 22px; }
            figcaption, p.caption { color: #5a5a5a; font-size: 13.5px; margin: 4px 0 16px; }
            svg { max-width: 100%; height: auto; display: block; }
            svg text { font-family: inherit; fill: #333; }
            svg .tick { font-size: 11px; fill: #666; }
            svg .axis { font-size: 12px; fill: #444; }
            svg .val { font-size: 10.5px; fill: #444; }
            svg .val.inv { fill: #fff; }
            svg .legend { font-size: 12px; fill: #333; }
            table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0 12px; }
            th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #ececec; vertical-align: top; }
            th { color: #555; font-weight: 600; background: #f6f7f8; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            tr.hl td { background: #fff7e0; }
            .tok { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px;
              background: #eef1f5; border: 1px solid #dde3ea; border-radius: 3px; padding: 0 4px; margin: 1px 1px;
              display: inline-block; white-space: pre; }
            .nm { color: #999; font-style: italic; }
            .ok { color: #2e7d32; font-weight: 600; }
            .bad { color: #c0392b; font-weight: 600; }
            table.verdict td { font-size: 14px; }
            table.verdict td.mark { font-size: 24px; text-align: center; width: 36px; font-weight: 700; }
            table.verdict ul { margin: 0; padding-left: 0; list-style: none; }
            table.verdict td.rule { color: #666; font-size: 12.5px; width: 24%; }
            tr.reproduced td.mark { color: #2e7d32; } tr.not_reproduced td.mark { color: #c0392b; } tr.inconclusive td.mark { color: #999; }
            tr.reproduced { background: #f3faf3; } tr.not_reproduced { background: #fdf3f2; }
            .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
            .sample { margin: 14px 0 22px; }
            .sample .q { margin: 4px 0; }
            .sample .ans { color: #555; font-size: 13px; margin-left: 6px; }
            .grid3 { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
            .comp { border: 1px solid #e2e2e2; border-radius: 4px; padding: 6px 8px; background: #fcfcfc; min-width: 0; }
            .comp.right { border-color: #9cc89e; background: #f6fbf6; }
            .comp .who { font-size: 12px; color: #555; font-weight: 600; margin-bottom: 4px; }
            .comp pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12.5px;
              font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
            """;
}
