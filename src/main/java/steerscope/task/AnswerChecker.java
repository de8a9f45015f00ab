package steerscope.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether a completion's answer equals a gold answer, the way math-verify and the usual RL-with-
 * verifiable-rewards recipes do: extract ({@link AnswerExtractor}), normalize the LaTeX, then compare.
 *
 * <p>Comparison, in order:
 * <ol>
 *   <li><b>Numbers.</b> If the gold answer evaluates to a number ({@link MathExpr}: exact rationals, so
 *       {@code 1/3 != 0.333}), the prediction must evaluate to the same number. Before evaluating, each side
 *       keeps only what follows its last {@code =} ({@code x = 5}, {@code 2+3=5}), and if it does not
 *       evaluate, trailing words are dropped as units ({@code 18 dollars}, {@code 18 cm}, {@code 5 apples};
 *       glued units only from a short list: {@code 18cm}, but {@code 2x} stays {@code 2x}; words followed by
 *       another number are not units, so the hedge {@code 5 or 7} is not 5).
 *       <b>Percent</b> (like math-verify): a value written with {@code %} or "percent" stands for either
 *       reading, so {@code 50\%} equals both {@code 50} and {@code 0.5}.</li>
 *   <li><b>Tuples.</b> {@code (1, 2)} equals {@code 1,2} element by element, in order; when both sides have
 *       brackets they must be the same brackets (so intervals {@code [1,2)} and {@code (1,2)} differ).</li>
 *   <li><b>Text.</b> Otherwise the normalized strings are compared with whitespace removed,
 *       {@code \frac12 = \frac{1}{2}}, {@code \sqrt3 = \sqrt{3}}, a leading {@code x=} dropped, {@code (A) = A},
 *       and case ignored when the answer is letters only ({@code Yes = yes}).</li>
 * </ol>
 * Normalization removes {@code $}, {@code \(\)}, {@code \[\]}, {@code \left}/{@code \right}, spacing
 * commands, {@code \text{}}/{@code \mathrm{}}/... wrappers, degree signs, markdown bold, trailing
 * punctuation, and rewrites {@code \dfrac}/{@code \tfrac}, {@code \times}, {@code \cdot}, {@code \div},
 * the unicode minus and {@code {,}}.
 */
public final class AnswerChecker {
    private static final Pattern TEXT_WRAPPER =
            Pattern.compile("\\\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mbox|operatorname)(?![A-Za-z])\\s*\\{");
    private static final Pattern LEFT_RIGHT = Pattern.compile("\\\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])");
    private static final Pattern DEGREES = Pattern.compile("\\^\\s*\\{\\s*\\\\circ\\s*\\}|\\^\\s*\\\\circ(?![A-Za-z])|\\\\circ(?![A-Za-z])|\\\\degree(?![A-Za-z])|°");
    private static final Pattern TRAILING_PUNCT = Pattern.compile("[\\s.,;:!]+$");
    private static final Pattern LEADING_VARIABLE = Pattern.compile("^[A-Za-z]\\s*=\\s*(?=\\S)");
    private static final Pattern SQRT_DIGIT = Pattern.compile("\\\\sqrt(\\d)");
    private static final Pattern FRAC_DIGITS = Pattern.compile("\\\\frac(\\d)(\\d)");
    private static final Pattern CHOICE = Pattern.compile("^\\(([A-Za-z])\\)$");
    private static final Pattern LETTERS = Pattern.compile("^[A-Za-z]+$");
    private static final Pattern UNIT_EXPONENT = Pattern.compile("\\^\\s*\\{?\\s*-?\\d+\\s*\\}?");
    /** Units that may be glued to a number ("18cm"); with a space before it any word counts as a unit. */
    private static final Set<String> GLUED_UNITS = Set.of(
            "mm", "cm", "m", "km", "mg", "g", "kg", "ml", "l", "s", "sec", "min", "h", "hr", "hrs",
            "in", "ft", "yd", "mi", "oz", "lb", "lbs", "mph", "st", "nd", "rd", "th");

    /** Extracts the answer of a completion; see {@link AnswerExtractor#extract}. */
    public Optional<String> extract(String completion) {
        return AnswerExtractor.extract(completion);
    }

    /** Whether the completion's extracted answer is equivalent to the gold answer; false if none is found. */
    public boolean matches(String completion, String gold) {
        return extract(completion).map(p -> equivalent(p, gold)).orElse(false);
    }

    /** Whether a predicted answer (already extracted) equals the gold answer by the rules above. */
    public boolean equivalent(String predicted, String gold) {
        if (predicted == null || gold == null) {
            return false;
        }
        String p = normalize(predicted);
        String g = normalize(gold);
        if (p.isEmpty() || g.isEmpty()) {
            return false;
        }
        List<Rational> goldValues = numericValues(g);
        if (!goldValues.isEmpty()) {
            List<Rational> predValues = numericValues(p);
            return predValues.stream().anyMatch(goldValues::contains);
        }
        Tuple pt = Tuple.split(p);
        Tuple gt = Tuple.split(g);
        if (pt != null && gt != null) {
            if (pt.elements.size() != gt.elements.size()
                    || (pt.open != 0 && gt.open != 0 && (pt.open != gt.open || pt.close != gt.close))) {
                return false;
            }
            for (int i = 0; i < pt.elements.size(); i++) {
                if (!equivalent(pt.elements.get(i), gt.elements.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return canonicalText(p).equals(canonicalText(g));
    }

    /** The LaTeX clean-up shared by both sides (see the class comment). */
    static String normalize(String s) {
        s = s.strip();
        Optional<String> boxed = AnswerExtractor.lastBoxed(s);
        if (boxed.isPresent()) {
            s = boxed.get();
        }
        s = s.replace('\u2212', '-').replace('×', '*').replace('·', '*').replace('÷', '/')
                .replace("**", "")
                .replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
                .replace("{,}", ",")
                .replace("\\$", "").replace("$", "")
                .replace("\\%", "%")
                .replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
                .replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\:", "")
                .replace("\\ ", " ").replace('~', ' ');
        s = s.replaceAll("\\\\times(?![A-Za-z])", "*").replaceAll("\\\\cdot(?![A-Za-z])", "*")
                .replaceAll("\\\\div(?![A-Za-z])", "/").replaceAll("\\\\displaystyle(?![A-Za-z])", "");
        s = unwrapTextCommands(s);
        s = LEFT_RIGHT.matcher(s).replaceAll("");
        s = DEGREES.matcher(s).replaceAll("");
        s = TRAILING_PUNCT.matcher(s.strip()).replaceAll("");
        return s.strip();
    }

    /** {@code \text{18 cm}} becomes {@code 18 cm}; an unclosed wrapper is left alone. */
    private static String unwrapTextCommands(String s) {
        var m = TEXT_WRAPPER.matcher(s);
        while (m.find()) {
            int open = m.end() - 1;
            int close = AnswerExtractor.matchingBrace(s, open);
            if (close < 0) {
                break;
            }
            s = s.substring(0, m.start()) + s.substring(open + 1, close) + s.substring(close + 1);
            m = TEXT_WRAPPER.matcher(s);
        }
        return s;
    }

    /** The values a normalized answer may stand for (two with a percent sign), or empty if not a number. */
    static List<Rational> numericValues(String s) {
        int eq = s.lastIndexOf('=');
        if (eq >= 0) {
            s = s.substring(eq + 1);
        }
        List<Rational> v = valueWithPercent(s.strip());
        if (v.isEmpty()) {
            String withoutUnits = dropTrailingWords(s.strip());
            if (withoutUnits != null) {
                v = valueWithPercent(withoutUnits);
            }
        }
        return v;
    }

    private static List<Rational> valueWithPercent(String s) {
        boolean percent = false;
        if (s.endsWith("%")) {
            percent = true;
            s = s.substring(0, s.length() - 1).strip();
        } else if (s.toLowerCase(Locale.ROOT).endsWith("percent")) {
            percent = true;
            s = s.substring(0, s.length() - "percent".length()).strip();
        }
        Optional<Rational> v = MathExpr.evaluate(s);
        if (v.isEmpty()) {
            return List.of();
        }
        return percent ? List.of(v.get(), v.get().divide(Rational.of(100))) : List.of(v.get());
    }

    /**
     * {@code "18 cm"} to {@code "18"}, {@code "50 percent of them"} to {@code "50 percent"}: cuts at the first
     * letter outside a TeX command (after a space, or a known glued unit); null if nothing is left.
     */
    private static String dropTrailingWords(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                while (i + 1 < s.length() && Character.isLetter(s.charAt(i + 1))) {
                    i++; // skip the command's name
                }
                continue;
            }
            if (!isAsciiLetter(c)) {
                continue;
            }
            int wordEnd = i;
            while (wordEnd < s.length() && isAsciiLetter(s.charAt(wordEnd))) {
                wordEnd++;
            }
            String word = s.substring(i, wordEnd).toLowerCase(Locale.ROOT);
            boolean spaced = i > 0 && Character.isWhitespace(s.charAt(i - 1));
            if (!spaced && !GLUED_UNITS.contains(word)) {
                return null;
            }
            // a unit has no numbers in it (cm^2 aside): "5 or 7" and "5 apples and 7 pears" are not 5
            String tail = UNIT_EXPONENT.matcher(s.substring(i)).replaceAll("");
            if (tail.chars().anyMatch(Character::isDigit)) {
                return null;
            }
            String head = TRAILING_PUNCT.matcher(s.substring(0, i)).replaceAll("").strip();
            if (head.isEmpty()) {
                return null;
            }
            return word.equals("percent") ? head + "%" : head;
        }
        return null;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** Text comparison form: no whitespace, TeX shorthands spelled out, {@code x=} and {@code (A)} unwrapped. */
    static String canonicalText(String s) {
        s = LEADING_VARIABLE.matcher(s.strip()).replaceFirst("");
        s = s.replaceAll("\\s+", "");
        s = SQRT_DIGIT.matcher(s).replaceAll("\\\\sqrt{$1}");
        s = FRAC_DIGITS.matcher(s).replaceAll("\\\\frac{$1}{$2}");
        var choice = CHOICE.matcher(s);
        if (choice.matches()) {
            s = choice.group(1);
        }
        if (LETTERS.matcher(s).matches()) {
            s = s.toLowerCase(Locale.ROOT);
        }
        return s;
    }

    /** A comma-separated list, optionally in () [] or {} (open/close are 0 without brackets). */
    private record Tuple(char open, char close, List<String> elements) {
        static Tuple split(String s) {
            char open = 0;
            char close = 0;
            if (s.length() >= 2 && "([{".indexOf(s.charAt(0)) >= 0 && ")]}".indexOf(s.charAt(s.length() - 1)) >= 0
                    && closesAtEnd(s)) {
                open = s.charAt(0);
                close = s.charAt(s.length() - 1);
                s = s.substring(1, s.length() - 1);
            }
            List<String> parts = new ArrayList<>();
            int depth = 0;
            int start = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if ("([{".indexOf(c) >= 0) {
                    depth++;
                } else if (")]}".indexOf(c) >= 0) {
                    depth--;
                } else if (c == ',' && depth == 0) {
                    parts.add(s.substring(start, i).strip());
                    start = i + 1;
                }
            }
            parts.add(s.substring(start).strip());
            if (parts.size() < 2 || parts.stream().anyMatch(String::isEmpty)) {
                return null;
            }
            return new Tuple(open, close, parts);
        }

        /** Whether the first bracket's partner is the last character (so "(1)+(2)" is not wrapped). */
        private static boolean closesAtEnd(String s) {
            int depth = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if ("([{".indexOf(c) >= 0) {
                    depth++;
                } else if (")]}".indexOf(c) >= 0) {
                    depth--;
                    if (depth == 0) {
                        return i == s.length() - 1;
                    }
                }
            }
            return false;
        }
    }
}
