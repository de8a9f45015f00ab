package steerscope.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * The report's charts as inline SVG strings: bars, grouped bars, lines and a heat map. Missing values are
 * NaN: a bar or cell that is NaN is drawn as "n/m" (not measured) rather than as zero.
 */
public final class Charts {
    /** Muted, colour-blind-friendlier palette (Tableau 10), in series order. */
    public static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
            "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    static final String AXIS = "#888", AXIS_DARK = "#333", GRID = "#e6e6e6", MISSING = "#e3e3e3";

    static final int WIDTH = 836; // the text column of the page, so SVG text renders at its nominal size
    private static final int LEFT = 64, RIGHT = 16, TOP = 30, BOTTOM = 52;

    private Charts() {}

    /**
     * One named series of values, one per group (grouped bars), with optional 95% interval ends {@code lo} and
     * {@code hi} (null: no intervals; a NaN end: none for that bar), drawn as a whisker on each bar.
     */
    public record Series(String name, double[] values, double[] lo, double[] hi) {
        public Series(String name, double[] values) {
            this(name, values, null, null);
        }

        double lo(int g) {
            return lo == null || g >= lo.length ? Double.NaN : lo[g];
        }

        double hi(int g) {
            return hi == null || g >= hi.length ? Double.NaN : hi[g];
        }
    }

    /** One line of a line chart: points (x[i], y[i]); NaN points are gaps. */
    public record Line(String name, double[] x, double[] y, String colour, boolean dashed) {}

    /** Vertical bars, one per label, each with its value printed above it. */
    public static String bars(String title, List<String> labels, double[] values, String yLabel, String colour) {
        return groupedBars(title, labels, List.of(new Series(yLabel, values)), yLabel, colour, false);
    }

    /** Vertical bars with their 95% intervals [lo, hi] drawn as whiskers (NaN ends: no whisker on that bar). */
    public static String bars(String title, List<String> labels, double[] values, double[] lo, double[] hi, String yLabel, String colour) {
        return groupedBars(title, labels, List.of(new Series(yLabel, values, lo, hi)), yLabel, colour, false);
    }

    /** Bars grouped by label, one bar per series in each group, with a legend. */
    public static String groupedBars(String title, List<String> groups, List<Series> series, String yLabel) {
        return groupedBars(title, groups, series, yLabel, null, true);
    }

    private static String groupedBars(String title, List<String> groups, List<Series> series, String yLabel,
                                      String singleColour, boolean legend) {
        int legendH = legend ? (int) LEGEND_ROW * legendRows(series.stream().map(Series::name).toList()) : 0;
        int height = 280 + legendH;
        int top = TOP + legendH;
        Svg svg = new Svg(WIDTH, height, title);
        double lo = 0, hi = 0;
        for (Series s : series)
            for (int g = 0; g < s.values.length; g++)
                for (double v : new double[] {s.values[g], s.lo(g), s.hi(g)}) if (!Double.isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (hi == lo) hi = lo + 1;
        double[] ticks = niceTicks(lo, hi, 5);
        lo = Math.min(lo, ticks[0]);
        hi = Math.max(hi, ticks[ticks.length - 1]);
        double plotW = WIDTH - LEFT - RIGHT, plotH = height - top - BOTTOM;
        double l0 = lo, h0 = hi;
        DoubleUnaryOperator y = v -> top + plotH * (h0 - v) / (h0 - l0);
        yAxis(svg, ticks, y, plotW, yLabel, top, plotH);
        if (legend) legend(svg, series.stream().map(Series::name).toList(), null, TOP - 4);

        int n = groups.size(), k = series.size();
        double slot = plotW / Math.max(1, n);
        double barW = Math.min(56, slot * 0.8 / k);
        boolean rotate = groups.stream().mapToInt(String::length).max().orElse(0) * 6.5 > slot;
        int every = rotate ? (int) Math.ceil(14 / slot) : 1; // rotated labels need about 14 px each
        for (int g = 0; g < n; g++) {
            double cx = LEFT + slot * (g + 0.5);
            for (int s = 0; s < k; s++) {
                double v = g < series.get(s).values.length ? series.get(s).values[g] : Double.NaN;
                double x = cx - barW * k / 2 + barW * s;
                String colour = singleColour != null ? singleColour : PALETTE[s % PALETTE.length];
                String tip = groups.get(g) + (k > 1 ? " · " + series.get(s).name : "") + ": " + Html.compact(v);
                if (Double.isNaN(v)) {
                    svg.rect(x + 1, y.applyAsDouble(0) - 2, barW - 2, 2, MISSING, groups.get(g) + ": not measured");
                    if (barW >= 14) svg.text(x + barW / 2, y.applyAsDouble(0) - 5, "n/m", "middle", "val");
                    continue;
                }
                double ciLo = series.get(s).lo(g), ciHi = series.get(s).hi(g);
                boolean whisker = !Double.isNaN(ciLo) && !Double.isNaN(ciHi);
                if (whisker) tip += " [" + Html.compact(ciLo) + ", " + Html.compact(ciHi) + "]";
                double y0 = y.applyAsDouble(Math.max(0, v)), y1 = y.applyAsDouble(Math.min(0, v));
                svg.rect(x + 1, y0, barW - 2, Math.max(1, y1 - y0), colour, tip);
                double labelTop = y0, labelBottom = y1;
                if (whisker) {
                    double cx0 = x + barW / 2, yl = y.applyAsDouble(ciLo), yh = y.applyAsDouble(ciHi), cap = Math.min(6, barW / 4);
                    svg.line(cx0, yh, cx0, yl, AXIS_DARK, 1.5, false);
                    svg.line(cx0 - cap, yh, cx0 + cap, yh, AXIS_DARK, 1.5, false);
                    svg.line(cx0 - cap, yl, cx0 + cap, yl, AXIS_DARK, 1.5, false);
                    labelTop = Math.min(y0, yh);
                    labelBottom = Math.max(y1, yl);
                }
                if (barW >= 14 && Html.compact(v).length() * 6 <= barW + 4) svg.text(x + barW / 2, v >= 0 ? labelTop - 4 : labelBottom + 12, Html.compact(v), "middle", "val");
            }
            if (g % every == 0) {
                double ly = top + plotH + 16;
                if (rotate) svg.rotatedText(cx, ly - 6, groups.get(g), -30, "end", "tick");
                else svg.text(cx, ly, groups.get(g), "middle", "tick");
            }
        }
        return svg.end();
    }

    /**
     * Point estimates with 95% intervals, one row per label (a dot and a whisker), on a shared horizontal axis;
     * a dashed reference line at {@code reference} (NaN: none). A row whose value is NaN says "not measured".
     */
    public static String intervals(String title, List<String> labels, double[] value, double[] lo, double[] hi, String xLabel, double reference) {
        int rowH = 22, left = 230, n = labels.size();
        int height = TOP + rowH * Math.max(1, n) + 44;
        Svg svg = new Svg(WIDTH, height, title);
        double a = Double.isNaN(reference) ? Double.POSITIVE_INFINITY : reference, b = Double.isNaN(reference) ? Double.NEGATIVE_INFINITY : reference;
        for (int i = 0; i < n; i++) {
            for (double v : new double[] {value[i], lo[i], hi[i]}) if (!Double.isNaN(v)) { a = Math.min(a, v); b = Math.max(b, v); }
        }
        if (!(a < b)) { a = Double.isFinite(a) ? a - 0.5 : 0; b = a + 1; }
        double[] ticks = niceTicks(a, b, 5);
        double x0 = Math.min(a, ticks[0]), x1 = Math.max(b, ticks[ticks.length - 1]);
        double plotW = WIDTH - left - RIGHT, bottom = TOP + rowH * Math.max(1, n);
        DoubleUnaryOperator x = v -> left + plotW * (v - x0) / (x1 - x0);
        for (double t : ticks) {
            svg.line(x.applyAsDouble(t), TOP, x.applyAsDouble(t), bottom, GRID, 1, false);
            svg.text(x.applyAsDouble(t), bottom + 14, Html.compact(t), "middle", "tick");
        }
        svg.text(left + plotW / 2, bottom + 34, xLabel, "middle", "axis");
        if (!Double.isNaN(reference)) svg.line(x.applyAsDouble(reference), TOP - 4, x.applyAsDouble(reference), bottom, AXIS, 1.2, true);
        for (int i = 0; i < n; i++) {
            double cy = TOP + rowH * (i + 0.5);
            svg.text(left - 8, cy + 4, labels.get(i), "end", "tick");
            if (Double.isNaN(value[i])) {
                svg.text(left + 4, cy + 4, "not measured", "start", "val");
                continue;
            }
            String colour = PALETTE[0];
            if (!Double.isNaN(lo[i]) && !Double.isNaN(hi[i])) {
                svg.line(x.applyAsDouble(lo[i]), cy, x.applyAsDouble(hi[i]), cy, colour, 2, false);
                svg.line(x.applyAsDouble(lo[i]), cy - 5, x.applyAsDouble(lo[i]), cy + 5, colour, 1.5, false);
                svg.line(x.applyAsDouble(hi[i]), cy - 5, x.applyAsDouble(hi[i]), cy + 5, colour, 1.5, false);
            }
            svg.circle(x.applyAsDouble(value[i]), cy, 4, colour);
            svg.text(Math.min(WIDTH - RIGHT - 30, x.applyAsDouble(Double.isNaN(hi[i]) ? value[i] : hi[i]) + 8), cy + 4, Html.compact(value[i]), "start", "val");
        }
        return svg.end();
    }

    /** A line chart over numeric x; with {@code logY} the y axis is log10 (values must be positive). */
    public static String lines(String title, List<Line> lines, String xLabel, String yLabel, boolean logY) {
        int height = 320;
        int top = TOP + (int) LEGEND_ROW * legendRows(lines.stream().map(Line::name).toList());
        Svg svg = new Svg(WIDTH, height + top - TOP, title);
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY, yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        for (Line l : lines)
            for (int i = 0; i < l.x.length; i++) {
                double yv = logY ? log(l.y[i]) : l.y[i];
                if (Double.isNaN(l.x[i]) || Double.isNaN(yv)) continue;
                xLo = Math.min(xLo, l.x[i]); xHi = Math.max(xHi, l.x[i]);
                yLo = Math.min(yLo, yv); yHi = Math.max(yHi, yv);
            }
        double plotW = WIDTH - LEFT - RIGHT - 8, plotH = height - TOP - BOTTOM;
        if (xLo > xHi) { // nothing to draw
            svg.text(WIDTH / 2.0, top + plotH / 2, "not measured", "middle", "tick");
            return svg.end();
        }
        if (xHi == xLo) { xLo -= 1; xHi += 1; }
        if (yHi == yLo) { yLo -= 1; yHi += 1; }
        double[] yt = logY ? logTicks(yLo, yHi) : niceTicks(yLo, yHi, 5);
        double[] xt = niceTicks(xLo, xHi, 8);
        if (allIntegers(lines) && xt.length > 1 && xt[1] - xt[0] < 1) xt = niceTicks(xLo, xHi, (int) Math.max(1, xHi - xLo));
        yLo = Math.min(yLo, yt[0]);
        yHi = Math.max(yHi, yt[yt.length - 1]);
        double fxLo = xLo, fxHi = xHi, fyLo = yLo, fyHi = yHi;
        DoubleUnaryOperator px = v -> LEFT + plotW * (v - fxLo) / (fxHi - fxLo);
        DoubleUnaryOperator py = v -> top + plotH * (fyHi - v) / (fyHi - fyLo);
        if (logY) {
            for (double t : yt) {
                double yy = py.applyAsDouble(t);
                svg.line(LEFT, yy, LEFT + plotW, yy, GRID, 1, false);
                svg.text(LEFT - 6, yy + 4, t >= 0 ? String.format(Locale.ROOT, "%,d", Math.round(StrictMath.pow(10, t)))
                        : Html.compact(StrictMath.pow(10, t)), "end", "tick");
            }
            svg.line(LEFT, top, LEFT, top + plotH, AXIS, 1, false);
            svg.rotatedText(14, top + plotH / 2, yLabel + " (log scale)", -90, "middle", "axis");
        } else {
            yAxis(svg, yt, py, plotW, yLabel, top, plotH);
        }
        svg.line(LEFT, top + plotH, LEFT + plotW, top + plotH, AXIS, 1, false);
        for (double t : xt) {
            if (t < xLo - 1e-9 || t > xHi + 1e-9) continue;
            double xx = px.applyAsDouble(t);
            svg.line(xx, top + plotH, xx, top + plotH + 4, AXIS, 1, false);
            svg.text(xx, top + plotH + 16, Html.compact(t), "middle", "tick");
        }
        svg.text(LEFT + plotW / 2, top + plotH + 38, xLabel, "middle", "axis");
        List<String> colours = new ArrayList<>();
        for (Line l : lines) {
            double[] xs = new double[l.x.length], ys = new double[l.x.length];
            for (int i = 0; i < xs.length; i++) {
                double yv = logY ? log(l.y[i]) : l.y[i];
                xs[i] = Double.isNaN(l.x[i]) ? Double.NaN : px.applyAsDouble(l.x[i]);
                ys[i] = Double.isNaN(yv) ? Double.NaN : py.applyAsDouble(yv);
            }
            svg.polyline(xs, ys, l.colour, 2, l.dashed, l.name);
            if (xs.length <= 40) for (int i = 0; i < xs.length; i++)
                if (!Double.isNaN(xs[i]) && !Double.isNaN(ys[i])) svg.circle(xs[i], ys[i], 2.5, l.colour);
            colours.add(l.colour + (l.dashed ? ":dashed" : ""));
        }
        legend(svg, lines.stream().map(Line::name).toList(), colours, TOP - 4);
        return svg.end();
    }

    /**
     * A heat map: rows x columns of values, NaN cells left blank (grey). Values with both signs use a
     * diverging blue-white-red scale centred at zero; otherwise white to blue. Each cell prints its value
     * when there is room.
     */
    public static String heatMap(String title, List<String> rows, List<String> cols, double[][] values, String valueLabel) {
        int labelW = 12 + 7 * Math.max(4, rows.stream().mapToInt(String::length).max().orElse(4));
        int colLabelH = 12 + (int) (5.2 * Math.max(3, cols.stream().mapToInt(String::length).max().orElse(3)));
        // the last column's label leans right past the grid: leave room for it
        double labelLean = cols.isEmpty() ? 0 : 4.5 * cols.get(cols.size() - 1).length();
        double cellW = Math.min(64, (WIDTH - labelW - 16.0 - labelLean) / Math.max(1, cols.size()));
        double cellH = Math.max(16, Math.min(30, 420.0 / Math.max(1, rows.size())));
        int height = (int) (TOP + colLabelH + cellH * rows.size() + 44);
        Svg svg = new Svg(WIDTH, height, title);
        double max = 0;
        boolean signed = false;
        for (double[] r : values) for (double v : r) if (!Double.isNaN(v)) { max = Math.max(max, Math.abs(v)); signed |= v < 0; }
        if (max == 0) max = 1;
        double y0 = TOP + colLabelH;
        for (int c = 0; c < cols.size(); c++)
            svg.rotatedText(labelW + cellW * (c + 0.5) + 4, y0 - 6, cols.get(c), -50, "start", "tick");
        boolean printValues = cellW >= 34 && cellH >= 16;
        for (int r = 0; r < rows.size(); r++) {
            double y = y0 + cellH * r;
            svg.text(labelW - 6, y + cellH / 2 + 4, rows.get(r), "end", "tick");
            for (int c = 0; c < cols.size(); c++) {
                double v = c < values[r].length ? values[r][c] : Double.NaN;
                double x = labelW + cellW * c;
                String tip = rows.get(r) + " · " + cols.get(c) + ": " + (Double.isNaN(v) ? "—" : Html.compact(v));
                svg.rect(x + 0.5, y + 0.5, cellW - 1, cellH - 1, Double.isNaN(v) ? MISSING : colour(v / max, signed), tip);
                if (printValues && !Double.isNaN(v))
                    svg.text(x + cellW / 2, y + cellH / 2 + 4, Html.compact(v), "middle", Math.abs(v / max) > 0.6 ? "val inv" : "val");
            }
        }
        // colour key
        double ky = y0 + cellH * rows.size() + 18;
        int steps = 40;
        double kw = 200.0 / steps;
        for (int i = 0; i < steps; i++) {
            double t = signed ? -1 + 2.0 * i / (steps - 1) : (double) i / (steps - 1);
            svg.rect(labelW + i * kw, ky, kw + 0.5, 10, colour(t, signed), null);
        }
        svg.text(labelW, ky + 24, Html.compact(signed ? -max : 0), "start", "tick");
        svg.text(labelW + 200, ky + 24, Html.compact(max), "end", "tick");
        svg.text(labelW + 216, ky + 9, valueLabel + " (grey: no value)", "start", "tick");
        return svg.end();
    }

    /** Colour for t in [-1, 1] (signed) or [0, 1]: white at 0, blue positive, red negative. */
    static String colour(double t, boolean signed) {
        t = Math.max(-1, Math.min(1, t));
        int[] pos = {0x3b, 0x6f, 0xa8}, neg = {0xc8, 0x4a, 0x3c};
        int[] target = t >= 0 ? pos : neg;
        double a = Math.abs(t);
        int r = (int) Math.round(255 + (target[0] - 255) * a), g = (int) Math.round(255 + (target[1] - 255) * a),
                b = (int) Math.round(255 + (target[2] - 255) * a);
        return String.format("#%02x%02x%02x", r, g, b);
    }

    /** Round tick values covering [lo, hi] with about {@code n} steps of 1, 2 or 5 times a power of ten. */
    static double[] niceTicks(double lo, double hi, int n) {
        double span = hi - lo;
        double raw = span / n;
        double mag = StrictMath.pow(10, Math.floor(StrictMath.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        double start = Math.floor(lo / step + 1e-9) * step, stop = Math.ceil(hi / step - 1e-9) * step;
        int count = (int) Math.round((stop - start) / step) + 1;
        double[] t = new double[count];
        for (int i = 0; i < count; i++) t[i] = Math.abs(start + i * step) < step * 1e-9 ? 0 : start + i * step;
        return t;
    }

    private static double[] logTicks(double lo, double hi) {
        int a = (int) Math.floor(lo), b = (int) Math.ceil(hi);
        if (a == b) b = a + 1;
        double[] t = new double[b - a + 1];
        for (int i = 0; i < t.length; i++) t[i] = a + i;
        return t;
    }

    /** Whether every x of every line is a whole number (layers, steps): then ticks fall on whole numbers too. */
    private static boolean allIntegers(List<Line> lines) {
        for (Line l : lines) for (double x : l.x) if (!Double.isNaN(x) && x != Math.rint(x)) return false;
        return true;
    }

    private static double log(double v) {
        return v > 0 ? StrictMath.log10(v) : Double.NaN;
    }

    private static void yAxis(Svg svg, double[] ticks, DoubleUnaryOperator y, double plotW,
                              String yLabel, double top, double plotH) {
        for (double t : ticks) {
            double yy = y.applyAsDouble(t);
            svg.line(LEFT, yy, LEFT + plotW, yy, t == 0 ? AXIS : GRID, 1, false);
            svg.text(LEFT - 6, yy + 4, Html.compact(t), "end", "tick");
        }
        svg.line(LEFT, top, LEFT, top + plotH, AXIS, 1, false);
        svg.rotatedText(14, top + plotH / 2, yLabel, -90, "middle", "axis");
    }

    private static final double LEGEND_ROW = 22;

    /** Legend entry positions, flowing left to right and wrapping: {x, row} per name (about 6.8 px a character). */
    private static double[][] legendLayout(List<String> names) {
        double[][] pos = new double[names.size()][];
        double x = LEFT;
        int row = 0;
        for (int i = 0; i < names.size(); i++) {
            double w = 22 + 6.8 * names.get(i).length() + 18;
            if (x + w > WIDTH - RIGHT && x > LEFT) {
                x = LEFT;
                row++;
            }
            pos[i] = new double[] {x, row};
            x += w;
        }
        return pos;
    }

    private static int legendRows(List<String> names) {
        double[][] pos = legendLayout(names);
        return pos.length == 0 ? 1 : (int) pos[pos.length - 1][1] + 1;
    }

    /** The legend above the plot; colours default to the palette (square swatches), else line swatches (":dashed"). */
    private static void legend(Svg svg, List<String> names, List<String> colours, double y) {
        double[][] pos = legendLayout(names);
        for (int i = 0; i < names.size(); i++) {
            double x = pos[i][0], yy = y + LEGEND_ROW * pos[i][1] - 6;
            String c = colours == null ? PALETTE[i % PALETTE.length] : colours.get(i);
            boolean dashed = c.endsWith(":dashed");
            if (dashed) c = c.substring(0, c.length() - 7);
            if (colours == null) svg.rect(x, yy - 9, 12, 12, c, null);
            else svg.line(x, yy - 3, x + 18, yy - 3, c, 2.5, dashed);
            svg.text(x + 22, yy + 1, names.get(i), "start", "legend");
        }
    }
}
