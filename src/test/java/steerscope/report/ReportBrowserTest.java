package steerscope.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;

/**
 * Opens the fixture report in headless Chromium (Debian package chromium, installed by scripts/setup-test-deps):
 * it must render (screenshot saved to target/report-screenshot.png), log no console message, and make no
 * network request. A canary page with an external image and a console.error first shows that both
 * detectors fire, so a clean result means something.
 */
class ReportBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path SCREENSHOT = Path.of("target/report-screenshot.png");

    @TempDir static Path tmp;

    @BeforeAll
    static void needsChromium() {
        assertTrue(Files.isExecutable(CHROMIUM), "headless Chromium not found at " + CHROMIUM
                + ": run scripts/setup-test-deps (it installs the Debian package chromium)");
    }

    record Run(int exit, String stdout, String log, JsonNode netLog) {}

    @Test
    void detectorsFireOnACanaryPage() throws Exception {
        Path page = tmp.resolve("canary.html");
        Files.writeString(page, "<!DOCTYPE html><html><body><p>canary</p><img src=\"http://example.invalid/x.png\">"
                + "<script>console.error('canary-error')</script></body></html>", StandardCharsets.UTF_8);
        Run r = chromium(page, "--screenshot=" + tmp.resolve("canary.png"), "--window-size=400,300");
        assertEquals(0, r.exit, r.log);
        assertTrue(consoleLines(r.log).stream().anyMatch(l -> l.contains("canary-error")), "console detector: " + r.log);
        assertEquals(List.of("http://example.invalid/x.png"), pageRequests(r.netLog), "network detector");
    }

    @Test
    void reportRendersWithoutConsoleMessagesOrNetworkRequests() throws Exception {
        Path html = tmp.resolve("report.html");
        ReportWriter.write(ReportWriterTest.FIXTURE, html);
        Path png = tmp.resolve("report.png");
        Run r = chromium(html, "--screenshot=" + png, "--window-size=1280,4000");
        assertEquals(0, r.exit, r.log);
        assertEquals(List.of(), consoleLines(r.log), "console messages");
        assertEquals(List.of(), pageRequests(r.netLog), "requests made by the page");

        Files.createDirectories(SCREENSHOT.getParent());
        Files.copy(png, SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1280, img.getWidth());
        assertEquals(4000, img.getHeight());
        // the charts were painted: the first palette colour fills the bars, and the ✓ of the verdicts is green
        assertTrue(countColour(img, 0x4e79a7) > 2000, "bar colour pixels: " + countColour(img, 0x4e79a7));
        assertTrue(countNear(img, 0x2e7d32, 40) > 30, "green verdict marks");
    }

    @Test
    void browserParsesTheWholeReportAsWritten() throws Exception {
        Path html = tmp.resolve("dom.html");
        ReportWriter.write(ReportWriterTest.FIXTURE, html);
        Run r = chromium(html, "--dump-dom");
        assertEquals(0, r.exit, r.log);
        String dom = r.stdout;
        ReportWriterTest.assertSelfContained(dom);
        for (String id : ReportWriterTest.SECTIONS) assertTrue(dom.contains("<section id=\"" + id + "\">"), "section " + id + " in the DOM");
        String written = Files.readString(html, StandardCharsets.UTF_8);
        // every svg and every token chip survived HTML parsing (an unescaped token would swallow or split elements)
        assertEquals(HtmlAndChartsTest.count(written, "<svg "), HtmlAndChartsTest.count(dom, "<svg "), "svg elements");
        assertEquals(HtmlAndChartsTest.count(written, "class=\"tok\""), HtmlAndChartsTest.count(dom, "class=\"tok\""), "token chips");
        assertTrue(dom.contains("&lt;/td&gt;"), "the </td> token stays text");
    }

    // ---- helpers ----

    static Run chromium(Path page, String... extra) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(tmp, "profile");
        Path netLog = tmp.resolve("net-" + System.nanoTime() + ".json");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--user-data-dir=" + profile, "--host-resolver-rules=MAP * ~NOTFOUND",
                "--enable-logging=stderr", "--v=0", "--log-net-log=" + netLog));
        cmd.addAll(List.of(extra));
        cmd.add(page.toUri().toString());
        Path out = tmp.resolve("stdout-" + System.nanoTime()), err = tmp.resolve("stderr-" + System.nanoTime());
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 90 s: " + Files.readString(err));
        }
        JsonNode net = Files.exists(netLog) ? Json.read(netLog) : null;
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), net);
    }

    /** Lines where Chromium logged a page's console message (any level). */
    static List<String> consoleLines(String log) {
        return log.lines().filter(l -> l.contains(":CONSOLE")).toList();
    }

    /**
     * URLs the page itself asked for (network isolation key of a file:// top frame), other than file: URLs.
     * Chromium's own background requests have another key; --host-resolver-rules fails them all anyway.
     */
    static List<String> pageRequests(JsonNode netLog) {
        assertTrue(netLog != null && netLog.path("events").isArray(), "chromium wrote no net log");
        List<String> urls = new ArrayList<>();
        for (JsonNode e : netLog.path("events")) {
            JsonNode p = e.path("params");
            String url = p.path("url").asText(""), nik = p.path("network_isolation_key").asText("");
            if (!url.isEmpty() && nik.contains("file://") && !url.startsWith("file:") && !urls.contains(url)) urls.add(url);
        }
        return urls;
    }

    static int countColour(BufferedImage img, int rgb) {
        return countNear(img, rgb, 0);
    }

    static int countNear(BufferedImage img, int rgb, int tol) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y);
                if (Math.abs(((c >> 16) & 255) - ((rgb >> 16) & 255)) <= tol && Math.abs(((c >> 8) & 255) - ((rgb >> 8) & 255)) <= tol
                        && Math.abs((c & 255) - (rgb & 255)) <= tol) n++;
            }
        return n;
    }
}
