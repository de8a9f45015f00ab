package steerscope.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class HtmlAndChartsTest {
    static final String EVIL = "</svg><script>alert('x')</script>&amp;\"";

    @Test
    void textEscapesMarkupAndNeutralisesControlCharacters() {
        assertEquals("&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39;", Html.text("<b> & \"q\" 's'"));
        assertEquals("a\nb\tc", Html.text("a\nb\tc"));          // kept: pre-wrap text shows them
        assertEquals("\u2400\u241B\u240D", Html.text("\u0000\u001B\r")); // control pictures
        assertEquals("x\uFFFDy", Html.text("x\uD800y"));            // lone surrogate
        assertEquals("\uD83D\uDE00", Html.text("\uD83D\uDE00"));    // a real pair survives
        assertEquals("", Html.text(null));
    }

    @Test
    void tokenMakesWhitespaceVisible() {
        assertEquals("\u2423To", Html.token(" To"));
        assertEquals("\u21B5\u21B5", Html.token("\n\n"));
        assertEquals("\u21E5x", Html.token("\tx"));
        assertEquals("\u27E8U+200B\u27E9", Html.token("\u200B"));
        assertEquals("\u27E8U+00A0\u27E9", Html.token("\u00A0"));
        assertEquals("\u2205", Html.token(""));
        assertEquals("&lt;/td&gt;\u2423&amp;", Html.token("</td> &"));
    }

    @Test
    void numbersSayNotMeasuredForNaN() {
        assertEquals("not measured", Html.num(Double.NaN, 2));
        assertEquals("0.50", Html.num(0.5, 2));
        assertEquals("12.5%", Html.pct(0.125));
        assertEquals("0.123", Html.compact(0.12345));
        assertEquals("1200", Html.compact(1200));
        assertEquals("−2.5", Html.compact(-2.5));
    }

    @Test
    void niceTicksCoverTheRangeInRoundSteps() {
        for (double[] r : new double[][] {{0, 1}, {0, 0.73}, {-3.2, 17}, {0.001, 0.0042}, {100, 12345}}) {
            double[] t = Charts.niceTicks(r[0], r[1], 5);
            assertTrue(t[0] <= r[0] && t[t.length - 1] >= r[1], "ticks cover " + r[0] + ".." + r[1]);
            double step = t[1] - t[0];
            double mant = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
            assertTrue(Math.abs(mant - 1) < 1e-6 || Math.abs(mant - 2) < 1e-6 || Math.abs(mant - 5) < 1e-6, "step " + step);
            assertTrue(t.length >= 3 && t.length <= 12, "tick count " + t.length);
        }
    }

    @Test
    void barHeightsAreProportionalToValuesAndMissingBarsSayNm() throws Exception {
        String svg = Charts.bars("t", List.of("a", "b", "c", "d"), new double[] {1, 2, 4, Double.NaN}, "y", "#123456");
        Document doc = parse(svg);
        List<Double> heights = new ArrayList<>();
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (e.getAttribute("fill").equals("#123456")) heights.add(Double.parseDouble(e.getAttribute("height")));
        }
        assertEquals(3, heights.size(), "one coloured bar per measured value");
        assertEquals(2.0, heights.get(1) / heights.get(0), 0.05);
        assertEquals(4.0, heights.get(2) / heights.get(0), 0.05);
        assertTrue(svg.contains(">n/m</text>"), "missing value marked");
    }

    @Test
    void intervalWhiskersSpanLoToHiOnTheBarsScale() throws Exception {
        String svg = Charts.bars("t", List.of("a", "b", "c"), new double[] {0.2, 0.4, 0.6}, new double[] {0.1, 0.3, Double.NaN},
                new double[] {0.3, 0.8, Double.NaN}, "y", "#123456");
        Document doc = parse(svg);
        List<Double> heights = new ArrayList<>(), bottoms = new ArrayList<>();
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (!e.getAttribute("fill").equals("#123456")) continue;
            double y = Double.parseDouble(e.getAttribute("y")), h = Double.parseDouble(e.getAttribute("height"));
            heights.add(h);
            bottoms.add(y + h);
        }
        double perUnit = heights.get(0) / 0.2, zero = bottoms.get(0);
        List<double[]> whiskers = new ArrayList<>(); // vertical dark lines: {x, top, bottom}
        NodeList lines = doc.getElementsByTagName("line");
        for (int i = 0; i < lines.getLength(); i++) {
            Element e = (Element) lines.item(i);
            double x1 = Double.parseDouble(e.getAttribute("x1")), x2 = Double.parseDouble(e.getAttribute("x2"));
            double y1 = Double.parseDouble(e.getAttribute("y1")), y2 = Double.parseDouble(e.getAttribute("y2"));
            if (e.getAttribute("stroke").equals("#333") && x1 == x2) whiskers.add(new double[] {x1, Math.min(y1, y2), Math.max(y1, y2)});
        }
        assertEquals(2, whiskers.size(), "a whisker on each bar with an interval, none on the bar without");
        assertEquals(0.3, (zero - whiskers.get(0)[1]) / perUnit, 0.01);
        assertEquals(0.1, (zero - whiskers.get(0)[2]) / perUnit, 0.01);
        assertEquals(0.8, (zero - whiskers.get(1)[1]) / perUnit, 0.01);
        assertEquals(0.3, (zero - whiskers.get(1)[2]) / perUnit, 0.01);
        assertTrue(svg.contains("b: 0.4 [0.3, 0.8]"), "the tooltip gives the interval");
    }

    @Test
    void groupedBarsDrawOneBarPerSeriesAndGroupWithALegend() throws Exception {
        String svg = Charts.groupedBars("g", List.of("L0", "L1", "L2"),
                List.of(new Charts.Series("attn", new double[] {0.1, 0.2, 0.3}), new Charts.Series("mlp", new double[] {0.3, -0.2, 0.1})), "y");
        Document doc = parse(svg);
        int[] perColour = new int[2];
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            String fill = ((Element) rects.item(i)).getAttribute("fill");
            for (int s = 0; s < 2; s++) if (fill.equals(Charts.PALETTE[s])) perColour[s]++;
        }
        assertEquals(4, perColour[0], "3 bars + 1 legend swatch");
        assertEquals(4, perColour[1]);
        assertTrue(svg.contains(">attn</text>") && svg.contains(">mlp</text>"));
    }

    @Test
    void linesBreakAtNaNAndLogScaleSpacesDecadesEvenly() throws Exception {
        String svg = Charts.lines("l", List.of(new Charts.Line("r", new double[] {0, 1, 2, 3}, new double[] {10, 100, Double.NaN, 1000}, "#111111", false)),
                "x", "rank", true);
        Document doc = parse(svg);
        NodeList polys = doc.getElementsByTagName("polyline");
        assertEquals(2, polys.getLength(), "the NaN point splits the line");
        String[] p0 = ((Element) polys.item(0)).getAttribute("points").split(" ");
        String[] p1 = ((Element) polys.item(1)).getAttribute("points").split(" ");
        double y10 = Double.parseDouble(p0[0].split(",")[1]), y100 = Double.parseDouble(p0[1].split(",")[1]),
                y1000 = Double.parseDouble(p1[0].split(",")[1]);
        assertEquals(y10 - y100, y100 - y1000, 0.2, "equal pixel distance per decade");
        assertTrue(y1000 < y100 && y100 < y10, "larger values higher up");
    }

    @Test
    void heatMapColoursBySignAndLeavesMissingCellsGrey() throws Exception {
        String svg = Charts.heatMap("h", List.of("r0", "r1"), List.of("c0", "c1"), new double[][] {{1, -1}, {0, Double.NaN}}, "v");
        Document doc = parse(svg);
        List<String> cellFills = new ArrayList<>();
        NodeList rects = doc.getElementsByTagName("rect");
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (e.getElementsByTagName("title").getLength() > 0) cellFills.add(e.getAttribute("fill"));
        }
        assertEquals(4, cellFills.size());
        assertEquals(Charts.colour(1, true), cellFills.get(0));
        assertEquals(Charts.colour(-1, true), cellFills.get(1));
        assertEquals("#ffffff", cellFills.get(2));
        assertEquals(Charts.MISSING, cellFills.get(3));
        int[] pos = rgb(cellFills.get(0)), neg = rgb(cellFills.get(1));
        assertTrue(pos[2] > pos[0], "positive is blue");
        assertTrue(neg[0] > neg[2], "negative is red");
    }

    @Test
    void chartsEscapeEveryLabelAndStayWellFormed() throws Exception {
        List<String> charts = List.of(
                Charts.bars(EVIL, List.of(EVIL), new double[] {1}, EVIL, "#000000"),
                Charts.groupedBars(EVIL, List.of(EVIL), List.of(new Charts.Series(EVIL, new double[] {1})), EVIL),
                Charts.lines(EVIL, List.of(new Charts.Line(EVIL, new double[] {0, 1}, new double[] {1, 2}, "#000000", true)), EVIL, EVIL, false),
                Charts.heatMap(EVIL, List.of(EVIL), List.of(EVIL), new double[][] {{1}}, EVIL));
        for (String svg : charts) {
            assertFalse(svg.contains("<script"), svg);
            assertEquals(1, count(svg, "</svg>"), "the label cannot close the svg early");
            Document doc = parse(svg);
            assertTrue(doc.getDocumentElement().getTextContent().contains("<script>"), "the text survives as text");
        }
    }

    @Test
    void emptyLineChartSaysNotMeasured() {
        assertTrue(Charts.lines("e", List.of(), "x", "y", false).contains("not measured"));
    }

    static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static int count(String s, String sub) {
        int n = 0;
        Matcher m = Pattern.compile(Pattern.quote(sub)).matcher(s);
        while (m.find()) n++;
        return n;
    }

    private static int[] rgb(String hex) {
        return new int[] {Integer.parseInt(hex.substring(1, 3), 16), Integer.parseInt(hex.substring(3, 5), 16), Integer.parseInt(hex.substring(5, 7), 16)};
    }
}
