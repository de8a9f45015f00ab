package steerscope.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Escaping and number formatting for the report. Everything that comes from a data file goes through
 * {@link #text} (free text) or {@link #token} (a vocabulary piece, whitespace made visible), so a token
 * like {@code "</svg><script>"} or a lone surrogate can never change the page's structure.
 */
public final class Html {
    /** What a missing number or file reads as, everywhere in the report. */
    public static final String NOT_MEASURED = "not measured";

    private Html() {}

    /** Escapes text for HTML/SVG element content and double- or single-quoted attributes. Newlines are kept. */
    public static String text(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            if (n == 1 && Character.isSurrogate(s.charAt(i))) cp = 0xFFFD; // lone surrogate: not encodable
            i += n;
            switch (cp) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                case '\n', '\t' -> b.append((char) cp);
                case '\r' -> b.append('\u240D');
                default -> {
                    if (cp < 0x20) b.appendCodePoint(0x2400 + cp);      // control pictures: ␀ .. ␟
                    else if (cp == 0x7F) b.append('\u2421');
                    else if (isNoncharacter(cp) || (cp >= 0x80 && cp < 0xA0)) b.append('\uFFFD');
                    else b.appendCodePoint(cp);
                }
            }
        }
        return b.toString();
    }

    /** A token as it should be read in a table: {@link #visible} whitespace, then escaped. */
    public static String token(String s) {
        return text(visible(s));
    }

    /**
     * Makes whitespace visible (not escaped): spaces as ␣, newlines as ↵, tabs as ⇥, carriage returns as ␍,
     * other spaces and invisible format characters (zero-width space, BOM, ...) as ⟨U+XXXX⟩. The empty
     * string reads as ∅.
     */
    public static String visible(String s) {
        if (s == null) return "";
        if (s.isEmpty()) return "\u2205";
        StringBuilder b = new StringBuilder(s.length() + 8);
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case ' ' -> b.append('\u2423');
                case '\n' -> b.append('\u21B5');
                case '\t' -> b.append('\u21E5');
                case '\r' -> b.append('\u240D');
                default -> {
                    int type = Character.getType(cp);
                    if (type == Character.FORMAT || type == Character.SPACE_SEPARATOR || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR)
                        b.append(String.format(Locale.ROOT, "\u27E8U+%04X\u27E9", cp));
                    else b.appendCodePoint(cp);
                }
            }
        });
        return b.toString();
    }

    /** A number with {@code digits} decimals, or "not measured" when it is NaN (our marker for missing). */
    public static String num(double v, int digits) {
        if (Double.isNaN(v)) return NOT_MEASURED;
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** A fraction in [0, 1] as a percentage, or "not measured". */
    public static String pct(double v) {
        return Double.isNaN(v) ? NOT_MEASURED : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    /** A compact number for axis ticks and value labels: 3 significant digits, no trailing zeros. */
    public static String compact(double v) {
        if (Double.isNaN(v)) return "";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) return String.format(Locale.ROOT, "%.2g", v).replace("e+0", "e").replace("e-0", "e-");
        String s = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        return s.startsWith("-") ? "−" + s.substring(1) : s;
    }

    private static boolean isNoncharacter(int cp) {
        return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }
}
