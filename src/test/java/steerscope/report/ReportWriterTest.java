package steerscope.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;

/** Renders the hand-written fixture run (src/test/resources/report/run) and variations of it. */
class ReportWriterTest {
    static final Path FIXTURE = Path.of("src/test/resources/report/run");
    static final List<String> SECTIONS = List.of("verdict", "accuracy", "first-token", "training", "norms", "logit-lens", "resid-lens",
            "ablations", "path-patching", "attention-mlp", "token-categories", "neurons", "samples", "inputs");

    @TempDir Path tmp;

    @Test
    void fixtureReportIsSelfContainedAndHasEverySection() throws IOException {
        Path out = tmp.resolve("out/report.html");
        ReportWriter.write(FIXTURE, out);
        String html = Files.readString(out, StandardCharsets.UTF_8);
        assertSelfContained(html);
        for (String id : SECTIONS) assertTrue(html.contains("<section id=\"" + id + "\">"), "section " + id);
        // the fixture has every file, so no section should fall back to "not measured"
        assertFalse(html.contains("Not measured:"), "a section could not read its file");
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(List.of("report.html"), files.map(p -> p.getFileName().toString()).toList(), "no temp file left behind");
        }
    }

    @Test
    void everySvgIsWellFormedXml() throws Exception {
        String html = ReportWriter.render(RunData.load(FIXTURE));
        Matcher m = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        int n = 0;
        while (m.find()) {
            HtmlAndChartsTest.parse(m.group());
            n++;
        }
        // accuracy, 2 training, 3 norms, 2 resid-lens, 2 ablations, 3 path patching, 3 attention, 2 token categories
        assertEquals(18, n, "charts drawn");
    }

    @Test
    void fixtureTokensAreEscapedWithVisibleWhitespace() {
        String html = ReportWriter.render(RunData.load(FIXTURE));
        assertTrue(html.contains(">&lt;/td&gt;</span>"), "token </td> escaped");
        assertTrue(html.contains(">a&quot;b&#39;c</span>"), "quotes in a token escaped");
        assertTrue(html.contains(">\u2423To</span>"), "leading space shown as ␣");
        assertTrue(html.contains(">\u21B5\u21B5</span>"), "newlines shown as ↵");
        assertTrue(html.contains(">\u27E8U+200B\u27E9</span>"), "zero-width space shown by code point");
        assertTrue(html.contains("Is 3 &lt; 4 &amp; 4 &gt; 2?"), "sample question escaped");
        assertTrue(html.contains("&lt;b&gt;no&lt;/b&gt; 0"), "sample completion escaped");
    }

    @Test
    void verdictsOfTheFixtureFollowItsNumbers() throws IOException {
        String html = ReportWriter.render(RunData.load(FIXTURE));
        JsonNode summary = Json.read(FIXTURE.resolve("summary.json"));
        JsonNode avm = Json.read(FIXTURE.resolve("attention_vs_mlp.json"));
        JsonNode abl = Json.read(FIXTURE.resolve("ablations.json"));
        double rec = summary.path("recovered_fraction").asDouble();
        // the fixture was written to support all three claims; check that against its own numbers first
        assertTrue(rec >= Verdicts.RECOVERED_MIN);
        assertTrue(abl.path("first_token_only_recovery").asDouble() >= Verdicts.FIRST_TOKEN_RECOVERY_MIN);
        assertTrue(avm.path("penultimate_attention_js").asDouble() < Verdicts.PENULTIMATE_JS_MAX);
        assertEquals("pass", verdictClass(html, "recovery"));
        assertEquals("pass", verdictClass(html, "last-layer"));
        assertEquals("pass", verdictClass(html, "penultimate"));
        assertTrue(verdictRow(html, "recovery").contains(String.format(Locale.ROOT, "%.2f", rec)), "recovered fraction shown");
        assertTrue(verdictRow(html, "last-layer").contains(String.format(Locale.ROOT, "%.2f", abl.path("first_token_only_recovery").asDouble())));
        assertTrue(verdictRow(html, "penultimate").contains(String.format(Locale.ROOT, "%.4f", avm.path("penultimate_attention_js").asDouble())));
        assertTrue(verdictRow(html, "last-layer").contains("&#39;\u2423To&#39;"), "the process token found is named");
    }

    @Test
    void lowRecoveryFlipsTheFirstVerdict() throws IOException {
        Path dir = copyWith("summary.json", s -> s.put("recovered_fraction", 0.42));
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("fail", verdictClass(html, "recovery"));
        assertTrue(verdictRow(html, "recovery").contains("0.42"));
        assertEquals("pass", verdictClass(html, "last-layer"));
    }

    @Test
    void recoveryIsComputedFromAccuraciesWhenTheFractionIsMissing() throws IOException {
        Path dir = copyWith("summary.json", s -> {
            s.remove("recovered_fraction");
            s.put("base_accuracy", 0.2).put("vectors_accuracy", 0.3).put("full_finetune_accuracy", 0.6);
        });
        String html = ReportWriter.render(RunData.load(dir));
        String row = verdictRow(html, "recovery");
        assertTrue(row.contains("0.25"), row);  // (0.3 - 0.2) / (0.6 - 0.2)
        assertEquals("fail", verdictClass(html, "recovery"));
    }

    @Test
    void weakFirstTokenRecoveryFlipsTheLastLayerVerdict() throws IOException {
        Path dir = copyWith("ablations.json", a -> a.put("first_token_only_recovery", 0.1));
        assertEquals("fail", verdictClass(ReportWriter.render(RunData.load(dir)), "last-layer"));
    }

    @Test
    void noProcessTokenInTheLensFlipsTheLastLayerVerdict() throws IOException {
        // categories whose process examples are not among the last layer's top tokens
        Path dir = copyWith("token_categories.json", t -> ((ObjectNode) t.path("examples")).putArray("process").add("Wait").add("Hmm"));
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("fail", verdictClass(html, "last-layer"));
        assertTrue(verdictRow(html, "last-layer").contains("none of the top"));
    }

    @Test
    void changedAttentionFlipsThePenultimateVerdict() throws IOException {
        Path dir = copyWith("attention_vs_mlp.json", a -> a.put("penultimate_attention_js", 0.2));
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("fail", verdictClass(html, "penultimate"));
        assertTrue(verdictRow(html, "penultimate").contains("0.2000"));
    }

    @Test
    void attentionOutChangingMoreThanMlpFlipsThePenultimateVerdict() throws IOException {
        Path dir = copyWith("attention_vs_mlp.json", a -> {
            for (JsonNode l : a.path("layers")) ((ObjectNode) l).put("attn_out_norm_change", 5.0);
        });
        assertEquals("fail", verdictClass(ReportWriter.render(RunData.load(dir)), "penultimate"));
    }

    @Test
    void emptyDirectoryRendersWithEverythingNotMeasured() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        String html = ReportWriter.render(RunData.load(dir));
        assertSelfContained(html);
        for (String id : SECTIONS) assertTrue(html.contains("<section id=\"" + id + "\">"), "section " + id);
        for (String id : List.of("recovery", "last-layer", "penultimate")) assertEquals("undecided", verdictClass(html, id));
        for (String id : List.of("accuracy", "training", "norms", "logit-lens", "resid-lens", "ablations", "path-patching",
                "attention-mlp", "token-categories", "neurons", "samples"))
            assertTrue(section(html, id).contains("Not measured"), "section " + id + " says not measured");
    }

    @Test
    void summaryAloneStillDecidesFromItsAnalysisFields() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("summary-only"));
        Files.copy(FIXTURE.resolve("summary.json"), dir.resolve("summary.json"));
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("pass", verdictClass(html, "recovery"));
        assertEquals("pass", verdictClass(html, "last-layer"));
        // attn_out_norm_change lives only in attention_vs_mlp.json: the MLP-vs-attention check cannot be made
        assertEquals("undecided", verdictClass(html, "penultimate"));
        assertTrue(section(html, "inputs").contains("missing"));
    }

    @Test
    void malformedFileAndTruncatedMetricsLineAreReportedNotFatal() throws IOException {
        Path dir = copy();
        Files.writeString(dir.resolve("neurons.json"), "{\"layers\": [", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("runs/vectors/metrics.jsonl"), "{\"step\": 12, \"reward_m", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        String html = ReportWriter.render(RunData.load(dir));
        assertTrue(section(html, "neurons").contains("Not measured"));
        assertTrue(section(html, "inputs").contains("unreadable"));
        assertTrue(section(html, "inputs").contains("read 12 steps, skipped 1 malformed lines"));
    }

    @Test
    void cliWritesTheReportAndRejectsAMissingDirectory() throws IOException {
        Path out = tmp.resolve("cli.html");
        assertEquals(0, Main.run("report", "--dir", FIXTURE.toString(), "--out", out.toString()));
        assertTrue(Files.readString(out).contains("<section id=\"verdict\">"));
        assertEquals(2, Main.run("report", "--dir", tmp.resolve("nope").toString()));
    }

    // ---- helpers ----

    static void assertSelfContained(String html) {
        String lower = html.toLowerCase(Locale.ROOT);
        for (String bad : List.of("<script", "http://", "https://", "//cdn", "url(", "@import", "<img", "<link", "<iframe", "<object",
                "<embed", "src=", "@font-face", "javascript:"))
            assertFalse(lower.contains(bad), "report must not contain " + bad);
        Matcher href = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
        while (href.find()) assertTrue(href.group(1).startsWith("#"), "only in-page links: " + href.group(1));
    }

    static String verdictRow(String html, String id) {
        Matcher m = Pattern.compile("<tr id=\"verdict-" + id + "\".*?</tr>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "verdict row " + id);
        return m.group();
    }

    static String verdictClass(String html, String id) {
        Matcher m = Pattern.compile("<tr id=\"verdict-" + id + "\" class=\"(\\w+)\"").matcher(html);
        assertTrue(m.find(), "verdict row " + id);
        return m.group(1);
    }

    static String section(String html, String id) {
        Matcher m = Pattern.compile("<section id=\"" + id + "\">.*?</section>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "section " + id);
        return m.group();
    }

    private Path copy() throws IOException {
        Path dir = tmp.resolve("copy");
        try (Stream<Path> files = Files.walk(FIXTURE)) {
            for (Path p : files.toList()) {
                Path target = dir.resolve(FIXTURE.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        return dir;
    }

    private Path copyWith(String file, Consumer<ObjectNode> edit) throws IOException {
        Path dir = copy();
        ObjectNode n = (ObjectNode) Json.read(dir.resolve(file));
        edit.accept(n);
        Files.writeString(dir.resolve(file), Json.writePretty(n), StandardCharsets.UTF_8);
        return dir;
    }
}
