package steerscope.verify;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an extracted answer into the small LaTeX dialect {@link TexParser} reads, the way math_verify's
 * normalization does: math delimiters, {@code \left}/{@code \right}, spacing and style commands go;
 * {@code \dfrac}/{@code \tfrac}/{@code \cfrac} become {@code \frac}; {@code \le}, {@code \geq}, {@code \neq}
 * ... become {@code <= >= !=}; degrees, currency and units ({@code \text{ cm}}, {@code 18 dollars},
 * {@code 15\mbox{ cm}^2}) are dropped; "percent", "pct" become {@code %}; "and"/"or" between answers become
 * commas; thousands separators ({@code 1,234}, {@code 1 000}, {@code 14{,}916}) and a decimal comma
 * ({@code 1000,99}, in running text only) are read as numbers; a mixed number ({@code 3\\frac{1}{2}},
 * {@code 2 1/2}) is its sum, as the MATH dataset writes them (math_verify would read a product).
 */
final class TexNormalizer {
    private static final Pattern WRAPPER = Pattern.compile(
            "\\\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mathsf|mbox|operatorname|boldsymbol"
            + "|mathbb|mathcal|overline|vec|hat|bar|widehat|overrightarrow|underline|bm)(?![A-Za-z])\\s*\\{");
    private static final Pattern DROP = Pattern.compile(
            "(?<!\\\\)\\\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg|displaystyle|textstyle|limits|nonumber|notag"
            + "|hfill)(?![A-Za-z])|(?<!\\\\)\\\\[,;:! ]|\\\\right\\.|\\\\left\\.|\\\\q?quad");
    private static final Pattern DEGREES =
            Pattern.compile("\\^\\s*\\{\\s*\\\\circ\\s*\\}|\\^\\s*\\\\circ(?![A-Za-z])|\\\\circ(?![A-Za-z])|\\\\degree(?![A-Za-z])|°");
    private static final Pattern THOUSANDS = Pattern.compile("^-?[1-9]\\d{0,2}(?:,\\d{3})+(?:\\.\\d+)?$");
    private static final Pattern SPACE_THOUSANDS = Pattern.compile("^-?[1-9]\\d{0,2}(?: \\d{3})+(?:\\.\\d+)?$");
    private static final Pattern DECIMAL_COMMA = Pattern.compile("^-?\\d+,\\d+$");
    /** {@code \\frac} written with a doubled backslash, as in strings escaped twice. */
    private static final Pattern DOUBLED_BACKSLASH = Pattern.compile("(?<!\\\\)\\\\\\\\(?=[A-Za-z])");
    private static final Pattern THIN_SPACE_IN_NUMBER = Pattern.compile("(?<=[\\d,])\\s*\\\\[!,]\\s*(?=\\d)");
    private static final Pattern BRACE_COMMA = Pattern.compile("(\\d)\\s*\\{\\s*,\\s*\\}\\s*(\\d)");
    private static final Pattern PERCENT_WORD = Pattern.compile("(?i)\\s*(?:percentage|percent|pct)\\b");
    private static final Pattern JOIN_WORD = Pattern.compile("(?i)(?<=^|[\\s}$)\\]])(?:and|or)(?=[\\s{$(\\[\\\\]|$)");
    private static final Pattern UNIT_POWER = Pattern.compile("^\\s*\\^\\s*(?:\\{\\s*-?\\d+\\s*\\}|-?\\d)");
    private static final Pattern TRAILING_WORDS = Pattern.compile("^(.*?[0-9}).%])\\s+([A-Za-z]+(?:\\s+[A-Za-z]+)*)\\s*(?:\\^\\s*\\{?\\d+\\}?)?$");
    private static final Pattern MIXED_TEX = Pattern.compile("(?<![\\d.}^_*/])(\\d+)\\s*\\\\frac\\{(\\d+)\\}\\{(\\d+)\\}");
    private static final Pattern MIXED_PLAIN = Pattern.compile("^(-?)(\\d+) (\\d+)/(\\d+)$");
    private static final Pattern GLUED_UNIT = Pattern.compile("^(.*?\\d)(cm|mm|km|kg|mg|ml|m|g|s|ft|in|mi|lb|lbs|oz|hr|hrs|min|sec|mph)(?:\\^\\s*\\{?\\d+\\}?|²|³)?$");
    private static final Set<String> UNITS = Set.of("cm", "mm", "km", "m", "kg", "g", "mg", "l", "ml", "s", "sec",
            "second", "seconds", "min", "minute", "minutes", "h", "hr", "hrs", "hour", "hours", "day", "days",
            "week", "weeks", "month", "months", "year", "years", "ft", "feet", "foot", "inch", "inches", "in", "yd",
            "yard", "yards", "mile", "miles", "meter", "meters", "metre", "metres", "centimeter", "centimeters",
            "kilometer", "kilometers", "unit", "units", "sq", "square", "cubic", "degree", "degrees", "dollar",
            "dollars", "cent", "cents", "yuan", "euro", "euros", "mph", "kmh", "lb", "lbs", "pound", "pounds",
            "oz", "ounce", "ounces", "gram", "grams", "kilogram", "kilograms", "liter", "liters", "litre", "litres",
            "people", "students", "times", "ways", "radians", "rad");

    /** Relations and operators written as commands, and what they become. */
    private static final Pattern[] COMMANDS = {command("leqslant|leq|le"), command("geqslant|geq|ge"), command("neq|ne"),
            command("lt"), command("gt"), command("simeq|equiv"), command("times|cdot|ast"), command("div"),
            command("dots|ldots|cdots")};
    private static final String[] COMMAND_TEXT = {" <= ", " >= ", " != ", " < ", " > ", " = ", " * ", " / ", " "};
    private static final Pattern APPROX = command("approx");

    private TexNormalizer() {}

    static String normalize(String answer) {
        return normalize(answer, false);
    }

    /**
     * @param plainNumber the answer was found as a plain number in text, where a decimal comma
     *     ({@code 1000,99}) is read as a decimal point, as math_verify's number extraction does
     */
    static String normalize(String answer, boolean plainNumber) {
        String s = DOUBLED_BACKSLASH.matcher(answer.strip()).replaceAll("\\\\");
        s = s.replace('\u2212', '-').replace('×', '*').replace('·', '*').replace('÷', '/')
                .replace("≤", "<=").replace("≥", ">=").replace("≠", "!=").replace("∞", "\\infty")
                .replace("π", "\\pi").replace("²", "^2").replace("³", "^3").replace("€", "").replace("£", "")
                .replace("**", "");
        s = s.replace("\\$", "").replace("$", "").replace("\\[", "").replace("\\]", "")
                .replace("\\(", "").replace("\\)", "");
        s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
                .replace("\\%", "%");
        s = BRACE_COMMA.matcher(s).replaceAll("$1,$2");
        s = THIN_SPACE_IN_NUMBER.matcher(s).replaceAll("");
        s = approximately(s);
        s = DROP.matcher(s).replaceAll(" ");
        s = DEGREES.matcher(s).replaceAll("");
        for (int i = 0; i < COMMANDS.length; i++) {
            s = COMMANDS[i].matcher(s).replaceAll(COMMAND_TEXT[i]);
        }
        s = s.replace("~", " ").replace("\\{", "\\{ ").replace("\\}", " \\}");
        s = unwrapText(s);
        s = PERCENT_WORD.matcher(s).replaceAll("%");
        s = JOIN_WORD.matcher(s).replaceAll(" , ");
        s = s.strip();
        while (!s.isEmpty() && ".,;:!".indexOf(s.charAt(s.length() - 1)) >= 0) {
            s = s.substring(0, s.length() - 1).strip();
        }
        while (!s.isEmpty() && ",;".indexOf(s.charAt(0)) >= 0) {
            s = s.substring(1).strip();
        }
        s = dropUnits(s);
        s = MIXED_TEX.matcher(s).replaceAll("($1+\\\\frac{$2}{$3})");
        s = MIXED_PLAIN.matcher(s).replaceAll("$1($2+$3/$4)");
        return numberFormat(s, plainNumber);
    }

    /** {@code x = 1/3 \approx 0.33}: the exact value is the answer; {@code x \approx 11} alone reads as {@code x = 11}. */
    private static String approximately(String s) {
        Matcher m = APPROX.matcher(s);
        if (!m.find()) {
            return s;
        }
        return s.substring(0, m.start()).contains("=") ? s.substring(0, m.start()) : m.replaceAll(" = ");
    }

    /** {@code 1,234} / {@code 1 000} / {@code 1000,99} as a whole answer, read as one number. */
    static String numberFormat(String s, boolean plainNumber) {
        String t = s.strip();
        if (THOUSANDS.matcher(t).matches() || SPACE_THOUSANDS.matcher(t).matches()) {
            return t.replace(",", "").replace(" ", "");
        }
        if (plainNumber && DECIMAL_COMMA.matcher(t).matches()) {
            return t.replace(',', '.');
        }
        return t;
    }

    private static Pattern command(String names) {
        return Pattern.compile("\\\\(?:" + names + ")(?![A-Za-z])");
    }

    /**
     * {@code \text{...}} and friends: a unit after a number goes (with its power), "and"/"or" become a comma,
     * a whole-answer text stays {@code \text{...}}, anything else is unwrapped.
     */
    private static String unwrapText(String s) {
        Matcher m = WRAPPER.matcher(s);
        int from = 0;
        while (m.find(from)) {
            int open = m.end() - 1;
            int close = closeBrace(s, open);
            if (close < 0) {
                break;
            }
            String inner = s.substring(open + 1, close);
            String word = inner.strip().toLowerCase(Locale.ROOT);
            String before = s.substring(0, m.start()).stripTrailing();
            String after = s.substring(close + 1);
            String replacement;
            if (word.equals("and") || word.equals("or") || word.equals(",")) {
                replacement = " , ";
            } else if (isUnit(word) && !before.isEmpty() && "0123456789}).%".indexOf(before.charAt(before.length() - 1)) >= 0) {
                Matcher power = UNIT_POWER.matcher(after);
                if (power.find()) {
                    after = after.substring(power.end());
                }
                replacement = " ";
            } else if (m.group().startsWith("\\text") && before.isEmpty() && after.isBlank()
                    && inner.chars().anyMatch(Character::isLetter) && !inner.contains("\\")) {
                replacement = "\\text{" + inner.strip() + "}";
                s = s.substring(0, m.start()) + replacement;
                break;
            } else {
                replacement = " " + inner + " ";
            }
            s = s.substring(0, m.start()) + replacement + after;
            from = m.start() + replacement.length();
            m = WRAPPER.matcher(s);
        }
        return s;
    }

    private static boolean isUnit(String word) {
        String w = word.replaceAll("\\^.*$", "").strip();
        if (w.isEmpty()) {
            return false;
        }
        for (String part : w.split("\\s+|/")) {
            if (!UNITS.contains(part) && !part.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** "18 dollars", "125 miles", "18cm": a number followed by unit words only keeps the number. */
    private static String dropUnits(String s) {
        Matcher m = TRAILING_WORDS.matcher(s);
        if (m.matches()) {
            String[] words = m.group(2).split("\\s+");
            boolean units = true;
            for (String w : words) {
                // "2 x" keeps its variable; a word, or a one-letter unit ("12 m"), is dropped
                units &= w.length() >= 2 ? !w.equalsIgnoreCase("and") && !w.equalsIgnoreCase("or")
                        : UNITS.contains(w.toLowerCase(Locale.ROOT));
            }
            if (units) {
                return m.group(1).strip();
            }
        }
        Matcher g = GLUED_UNIT.matcher(s);
        if (g.matches()) {
            return g.group(1);
        }
        return s;
    }

    /** Index of the brace closing the one at {@code open}, or -1; escaped braces are skipped. */
    static int closeBrace(String text, int open) {
        return TexParser.matching(text, open, '{', '}');
    }
}
