package steerscope.report;

import java.util.Locale;

/**
 * A tiny SVG writer: shapes and text appended to a string, every piece of text escaped. Coordinates are
 * printed with one decimal; the picture scales with the page through its viewBox.
 */
final class Svg {
    private final StringBuilder b = new StringBuilder(4096);

    /**
     * Starts an {@code <svg>} of the given size whose accessible name is {@code title}. No xmlns: inline SVG
     * in HTML does not need one, and the page then holds no URL at all.
     */
    Svg(int width, int height, String title) {
        b.append("<svg viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"").append(Html.text(title)).append("\"><title>")
                .append(Html.text(title)).append("</title>\n");
    }

    Svg rect(double x, double y, double w, double h, String fill, String tooltip) {
        b.append("<rect x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" width=\"").append(f(Math.max(0, w)))
                .append("\" height=\"").append(f(Math.max(0, h))).append("\" fill=\"").append(fill).append('"');
        if (tooltip == null) b.append("/>\n");
        else b.append("><title>").append(Html.text(tooltip)).append("</title></rect>\n");
        return this;
    }

    Svg line(double x1, double y1, double x2, double y2, String stroke, double width, boolean dashed) {
        b.append("<line x1=\"").append(f(x1)).append("\" y1=\"").append(f(y1)).append("\" x2=\"").append(f(x2))
                .append("\" y2=\"").append(f(y2)).append("\" stroke=\"").append(stroke).append("\" stroke-width=\"")
                .append(f(width)).append('"').append(dashed ? " stroke-dasharray=\"5 3\"" : "").append("/>\n");
        return this;
    }

    /** A polyline through (xs[i], ys[i]); NaN points break the line into pieces. */
    Svg polyline(double[] xs, double[] ys, String stroke, double width, boolean dashed, String tooltip) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i <= xs.length; i++) {
            boolean gap = i == xs.length || Double.isNaN(xs[i]) || Double.isNaN(ys[i]);
            if (!gap) {
                pts.append(f(xs[i])).append(',').append(f(ys[i])).append(' ');
                continue;
            }
            if (!pts.isEmpty()) {
                b.append("<polyline fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"").append(f(width))
                        .append("\" stroke-linejoin=\"round\"").append(dashed ? " stroke-dasharray=\"6 4\"" : "")
                        .append(" points=\"").append(pts.toString().trim()).append('"');
                if (tooltip == null) b.append("/>\n");
                else b.append("><title>").append(Html.text(tooltip)).append("</title></polyline>\n");
                pts.setLength(0);
            }
        }
        return this;
    }

    Svg circle(double cx, double cy, double r, String fill) {
        b.append("<circle cx=\"").append(f(cx)).append("\" cy=\"").append(f(cy)).append("\" r=\"").append(f(r))
                .append("\" fill=\"").append(fill).append("\"/>\n");
        return this;
    }

    /** Text; {@code anchor} is start, middle or end; {@code cls} a CSS class of the page (or null). */
    Svg text(double x, double y, String s, String anchor, String cls) {
        b.append("<text x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" text-anchor=\"").append(anchor).append('"');
        if (cls != null) b.append(" class=\"").append(cls).append('"');
        b.append('>').append(Html.text(s)).append("</text>\n");
        return this;
    }

    /** Text rotated by {@code degrees} around its anchor point (for crowded axis labels). */
    Svg rotatedText(double x, double y, String s, double degrees, String anchor, String cls) {
        b.append("<text x=\"").append(f(x)).append("\" y=\"").append(f(y)).append("\" text-anchor=\"").append(anchor)
                .append("\" transform=\"rotate(").append(f(degrees)).append(' ').append(f(x)).append(' ').append(f(y)).append(")\"");
        if (cls != null) b.append(" class=\"").append(cls).append('"');
        b.append('>').append(Html.text(s)).append("</text>\n");
        return this;
    }

    String end() {
        return b.append("</svg>").toString();
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
