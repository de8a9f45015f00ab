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
import java.nio.file.StandardOpenOption;
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
    static final List<String> SECTIONS = List.of("verdict", "accuracy", "first-token", "single-layer", "delta-p", "prefix", "circuit",
            "persistence", "middle-layers", "training", "norms", "logit-lens", "resid-lens",
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
            assertEquals(List.of("report.html", "verdicts.json"), files.map(p -> p.getFileName().toString()).sorted().toList(), "no temp file left behind");
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
        // accuracy, single-layer, delta-p, prefix, 2 circuit, persistence, 2 training, 3 norms, 2 resid-lens, 2 ablations,
        // 3 path patching, 3 attention, 2 token categories
        assertEquals(24, n, "charts drawn");
    }

    @Test
    void accuracyBarsAndTablesShowTheIntervalsOfTheFixture() {
        String html = ReportWriter.render(RunData.load(FIXTURE));
        String acc = html.substring(html.indexOf("<section id=\"accuracy\">"), html.indexOf("<section id=\"first-token\">"));
        for (String ci : List.of("vectors · sampled mean (T = 1, k = 8): 0.56 [0.51, 0.61]", "full fine-tune · greedy pass@1: 0.6 [0.46, 0.74]",
                "0.560 [0.510, 0.610]", "0.300 [0.180, 0.420]", "0.867 [0.810, 0.930]"))
            assertTrue(acc.contains(ci), "accuracy section shows " + ci);
        String abl = html.substring(html.indexOf("<section id=\"ablations\">"), html.indexOf("<section id=\"path-patching\">"));
        assertTrue(abl.contains("stroke=\"#333\""), "ablation accuracies have whiskers");
        String dp = html.substring(html.indexOf("<section id=\"delta-p\">"), html.indexOf("<section id=\"prefix\">"));
        assertTrue(dp.contains("0.400 [0.320, 0.480]"), "top-Δp share with its interval");
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

    static final List<String> CLAIMS = List.of("recovery", "last-layer", "penultimate", "middle-layers");

    @Test
    void verdictsOfTheFixtureFollowItsNumbers() throws IOException {
        // the fixture was written so that every check's interval clears its threshold
        String html = ReportWriter.render(RunData.load(FIXTURE));
        for (String id : CLAIMS) assertEquals("reproduced", verdictClass(html, id), id);
        assertTrue(verdictRow(html, "recovery").contains("0.867"), "recovered fraction shown");
        assertTrue(verdictRow(html, "recovery").contains("[0.810, 0.930]"), "with its interval");
        assertTrue(verdictRow(html, "last-layer").contains("0.770"), "prefix fraction shown");
        assertTrue(verdictRow(html, "last-layer").contains("token &#39;\u2423To&#39;"), "the prefix token is named");
        assertTrue(verdictRow(html, "penultimate").contains("block 3"), "the penultimate checks read block L-1");
        // verdicts.json: the same table as data
        Path out = tmp.resolve("v/report.html");
        ReportWriter.write(FIXTURE, out);
        JsonNode v = Json.read(out.resolveSibling("verdicts.json"));
        assertEquals(4, v.path("claims").size());
        for (JsonNode c : v.path("claims")) {
            assertEquals("reproduced", c.path("status").asText(), c.path("claim").asText());
            for (JsonNode ch : c.path("checks")) {
                assertTrue(ch.path("ci").get(0).isNumber() && ch.path("ci").get(1).isNumber(), ch.toString());
                assertTrue(ch.has("threshold") && ch.has("layer") && ch.has("block") && ch.has("name") && ch.has("value"));
            }
        }
    }

    @Test
    void recoveryBelowTheThresholdIsNotReproducedAndStraddlingItIsInconclusive() throws IOException {
        Path low = copyWith("summary.json", s -> {
            s.put("recovered_fraction", 0.42);
            s.putArray("recovered_fraction_ci").add(0.3).add(0.55);
        });
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(low)), "recovery"));
        Path straddle = copyWith("summary.json", s -> s.putArray("recovered_fraction_ci").add(0.7).add(0.95));
        assertEquals("inconclusive", verdictClass(ReportWriter.render(RunData.load(straddle)), "recovery"));
        // a point estimate without an interval decides nothing
        Path bare = copyWith("summary.json", s -> s.remove("recovered_fraction_ci"));
        assertEquals("inconclusive", verdictClass(ReportWriter.render(RunData.load(bare)), "recovery"));
    }

    @Test
    void aWeakPrefixControlOrNoProcessTokensFlipTheLastLayerVerdict() throws IOException {
        Path weak = copyWith("prefix.json", p -> ((ObjectNode) p.path("fraction")).putArray("ci").add(0.1).add(0.3));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(weak)), "last-layer"));
        Path none = copyWith("prefix.json", p -> p.putNull("fraction").put("fraction_reason", "the vector's gain is not clearly positive"));
        String html = ReportWriter.render(RunData.load(none));
        assertEquals("inconclusive", verdictClass(html, "last-layer"));
        assertTrue(verdictRow(html, "last-layer").contains("not clearly positive"));
        Path noProcess = copyWith("delta_p.json", d -> ((ObjectNode) d.path("last").path("categories").path("process").path("mass_shift_pos0"))
                .putArray("ci").add(-0.1).add(-0.02));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(noProcess)), "last-layer"));
        Path everywhere = copyWith("delta_p.json", d -> ((ObjectNode) d.path("last").path("kl_pos0_minus_later")).putArray("ci").add(-0.2).add(-0.1));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(everywhere)), "last-layer"));
    }

    @Test
    void aVectorWithoutAClearGainLeavesItsClaimInconclusiveWhateverItsChecksSay() throws IOException {
        Path dir = copyWith("delta_p.json", d -> {
            ((ObjectNode) d.path("last").path("gain_over_base")).putArray("ci").add(-0.05).add(0.02);
            ((ObjectNode) d.path("last").path("kl_pos0_minus_later")).putArray("ci").add(-0.2).add(-0.1);
        });
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("inconclusive", verdictClass(html, "last-layer"));
        assertTrue(verdictRow(html, "last-layer").contains("premise: "));
        assertEquals("reproduced", verdictClass(html, "penultimate"));
    }

    @Test
    void attentionMovingMoreThanARandomVectorsOrLostSkipAttentionGainFlipThePenultimateVerdict() throws IOException {
        Path moved = copyWith("circuit.json", c -> ((ObjectNode) c.path("attention_js").path("vector_minus_random")).putArray("ci").add(0.01).add(0.02));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(moved)), "penultimate"));
        Path lost = copyWith("circuit.json", c -> ((ObjectNode) c.path("conditions").get(2).path("retained")).putArray("ci").add(0.1).add(0.3));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(lost)), "penultimate"));
    }

    @Test
    void middleLayersWithoutADistractorListAreInconclusiveAndBelowChanceNotReproduced() throws IOException {
        Path none = copyWith("middle_layers.json", m -> m.putNull("distractor_share").putNull("chance").put("reason", "no distractor token list was given"));
        String html = ReportWriter.render(RunData.load(none));
        assertEquals("inconclusive", verdictClass(html, "middle-layers"));
        assertTrue(verdictRow(html, "middle-layers").contains("no distractor token list"));
        Path below = copyWith("middle_layers.json", m -> ((ObjectNode) m.path("distractor_share")).putArray("ci").add(0.0).add(0.05));
        assertEquals("not_reproduced", verdictClass(ReportWriter.render(RunData.load(below)), "middle-layers"));
    }

    @Test
    void emptyDirectoryRendersWithEverythingNotMeasured() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        String html = ReportWriter.render(RunData.load(dir));
        assertSelfContained(html);
        for (String id : SECTIONS) assertTrue(html.contains("<section id=\"" + id + "\">"), "section " + id);
        for (String id : CLAIMS) assertEquals("inconclusive", verdictClass(html, id));
        for (String id : List.of("accuracy", "single-layer", "delta-p", "prefix", "circuit", "persistence", "middle-layers", "training", "norms", "logit-lens", "resid-lens", "ablations", "path-patching",
                "attention-mlp", "token-categories", "neurons", "samples"))
            assertTrue(section(html, id).contains("Not measured"), "section " + id + " says not measured");
    }

    @Test
    void summaryAloneDecidesOnlyTheRecoveryClaim() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("summary-only"));
        Files.copy(FIXTURE.resolve("summary.json"), dir.resolve("summary.json"));
        String html = ReportWriter.render(RunData.load(dir));
        assertEquals("reproduced", verdictClass(html, "recovery"));
        // the single-layer measurements are in their own files: without them the claims are undecided
        for (String id : List.of("last-layer", "penultimate", "middle-layers")) assertEquals("inconclusive", verdictClass(html, id));
        assertTrue(section(html, "inputs").contains("missing"));
    }

    @Test
    void malformedFileAndTruncatedMetricsLineAreReportedNotFatal() throws IOException {
        Path dir = copy();
        Files.writeString(dir.resolve("neurons.json"), "{\"layers\": [", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("runs/vectors/metrics.jsonl"), "{\"step\": 12, \"reward_m", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
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
        Path dir = Files.createTempDirectory(tmp, "copy");
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
