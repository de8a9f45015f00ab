package steerscope.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the answer text in a completion, in math_verify's order:
 * <ol>
 *   <li>the last {@code \boxed{...}} / {@code \fbox{...}} (unclosed or empty ones are ignored), together with
 *       the boxes just before it when only separators stand between them ({@code \boxed{2}, \boxed{3}},
 *       {@code \boxed{1} \text{ and } \boxed{2}}), joined as a list;</li>
 *   <li>with {@link Extraction#BOXED_THEN_FALLBACK} only: in the text after the last "final answer ... is" or
 *       "answer" (to the end of that sentence), else in the whole text, the LaTeX math region
 *       ({@code $...$}, {@code $$...$$}, {@code \(...\)}, {@code \[...\]}, and ones joined by "and"/","/"or")
 *       or plain number / arithmetic expression that ends last.</li>
 * </ol>
 */
final class AnswerText {
    /** An extracted answer, the rule that found it, and whether it is a plain number from running text. */
    record Found(String text, String rule, boolean plain) {}

    private static final Pattern BOX = Pattern.compile("\\\\(?:boxed|fbox)(?![A-Za-z])");
    private static final Pattern BOX_GAP_NOISE = Pattern.compile(
            "\\\\text\\{[^{}]*\\}|\\\\(?:quad|qquad|[,;:! ]|\\[|\\]|\\(|\\))|\\$|(?i:\\band\\b|\\bor\\b)|[\\s,;.&]"
            + "|(?<![A-Za-z])[A-Za-z](?:_\\{?[A-Za-z0-9]+\\}?)?\\s*=");
    private static final Pattern FINAL_ANSWER = Pattern.compile("(?i)final answer.{0,100}?\\s+is:?|(?i)\\banswer\\b\\s*(?:is\\b|:)?");
    private static final Pattern FINAL_ANSWER_HOPE = Pattern.compile("(?i:final answer is):?(.{1,200}?)\\.?\\s?I hope", Pattern.DOTALL);
    private static final Pattern SENTENCE_END = Pattern.compile("\\.(?:\\s|$)");
    private static final Pattern LATEX_ENV = Pattern.compile(
            "(?<!\\\\)\\$\\$((?:[^$]|\\$(?!\\$))+?)(?<!\\\\)\\$\\$"
            + "|(?<!\\\\)\\\\\\[((?:[^\\\\]|\\\\(?!\\]))+?)\\\\\\]"
            + "|(?<![\\\\\\d])\\$((?:\\\\\\$|[^\\n$])+?)(?<!\\\\)\\$"
            + "|(?<!\\\\)\\\\\\(((?:[^\\\\\\n]|\\\\(?!\\)))+?)\\\\\\)"
            + "|(-?\\\\frac\\{-?\\d+(?:[.,]\\d+)?\\}\\{-?\\d+(?:[.,]\\d+)?\\})", Pattern.DOTALL);
    private static final Pattern ENV_JOIN = Pattern.compile("^\\s*(?:,?\\s*and|,?\\s*or|,)\\s*$");
    private static final Pattern PERCENT_AFTER = Pattern.compile("^\\s*(?:\\\\?%|[Pp]ercentage|[Pp]ercent|[Pp]ct)");
    private static final Pattern PLAIN = Pattern.compile(
            "(?:^|(?<=[\\s=:$€£¥]))(?:\\*\\*)?("
            + "-?\\(?-?\\d[\\d.\\s+\\-*/^()×÷]*[+\\-*/^×÷][\\d.\\s+\\-*/^()×÷]*\\d\\)?"
            + "|-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+(?:\\.\\d+)?(?!\\d)"
            + "|-?\\d+[.,]\\d+|\\.\\d+|-?\\d+)"
            + "(\\s*(?:%|[Pp]ercentage|[Pp]ercent|[Pp]ct))?");

    private static final int WINDOW = 4000;

    private AnswerText() {}

    static List<Found> find(String text, Extraction mode, Targets targets) {
        List<Found> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        String boxed = boxed(text);
        if (mode == Extraction.BOXED_THEN_FALLBACK) {
            // math_verify ranks "final answer is X. I hope" with the box; the one ending last wins
            Matcher fa = FINAL_ANSWER_HOPE.matcher(text);
            int end = -1;
            String region = null;
            while (fa.find()) {
                end = fa.end();
                region = fa.group(1);
            }
            if (region != null && (boxed == null || end > lastBoxEnd(text))) {
                Found f = lastMath(region, targets, "final answer is");
                if (f != null) {
                    out.add(f);
                    return out;
                }
            }
        }
        if (boxed != null) {
            out.add(new Found(boxed, "boxed", false));
            return out;
        }
        if (mode == Extraction.BOXED_ONLY) {
            return out;
        }
        int anchor = -1;
        Matcher m = FINAL_ANSWER.matcher(text);
        while (m.find()) {
            anchor = m.end();
        }
        if (anchor >= 0) {
            String rest = text.substring(anchor);
            Found f = lastMath(sentence(rest), targets, "after 'answer'");
            if (f != null) {
                out.add(f);
            }
        }
        Found f = lastMath(text, targets, "last math in text");
        if (f != null) {
            out.add(f);
        }
        return out;
    }

    /** The answer region after an anchor: up to "I hope", a blank line, or the first sentence end. */
    private static String sentence(String rest) {
        int cut = rest.length();
        int hope = rest.indexOf("I hope");
        if (hope >= 0) {
            cut = hope;
        }
        int para = rest.indexOf("\n\n");
        if (para >= 0 && para < cut && !rest.substring(0, para).isBlank()) {
            cut = para;
        }
        Matcher end = SENTENCE_END.matcher(rest);
        while (end.find()) {
            // a full stop inside a math region does not end the sentence
            if (end.start() < cut && outsideMath(rest, end.start())) {
                cut = end.start();
                break;
            }
        }
        return rest.substring(0, cut);
    }

    private static boolean outsideMath(String s, int at) {
        int dollars = 0;
        for (int i = 0; i < at; i++) {
            if (s.charAt(i) == '$' && (i == 0 || s.charAt(i - 1) != '\\')) {
                dollars++;
            }
        }
        return dollars % 2 == 0;
    }

    /** The joined contents of the last box and the boxes chained to it, or null without a box. */
    static String boxed(String text) {
        List<int[]> boxes = new ArrayList<>(); // {commandStart, contentStart, contentEnd, end}
        Matcher m = BOX.matcher(text);
        while (m.find()) {
            int j = m.end();
            while (j < text.length() && text.charAt(j) == ' ') {
                j++;
            }
            if (j < text.length() && text.charAt(j) == '{') {
                int close = TexNormalizer.closeBrace(text, j);
                if (close > 0 && !text.substring(j + 1, close).isBlank()) {
                    boxes.add(new int[] {m.start(), j + 1, close, close + 1});
                }
            } else {
                int end = j;
                while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && text.charAt(end) != '$') {
                    end++;
                }
                if (end > j) {
                    boxes.add(new int[] {m.start(), j, end, end});
                }
            }
        }
        if (boxes.isEmpty()) {
            return null;
        }
        int first = boxes.size() - 1;
        while (first > 0) {
            int[] prev = boxes.get(first - 1);
            if (prev[3] > boxes.get(first)[0]) {
                break; // nested: the inner box is the answer
            }
            String gap = text.substring(prev[3], boxes.get(first)[0]);
            if (!BOX_GAP_NOISE.matcher(gap).replaceAll("").isEmpty()) {
                break;
            }
            first--;
        }
        StringBuilder joined = new StringBuilder();
        for (int i = first; i < boxes.size(); i++) {
            if (!joined.isEmpty()) {
                joined.append(", ");
            }
            int[] b = boxes.get(i);
            joined.append(text, b[1], b[2]);
        }
        return joined.toString().strip();
    }

    private static int lastBoxEnd(String text) {
        int end = -1;
        Matcher m = BOX.matcher(text);
        while (m.find()) {
            end = m.end();
        }
        return end;
    }

    /**
     * The math region or plain number/expression ending last in {@code text}, or null. Only the last
     * {@link #WINDOW} characters are searched: the answer is near the end, and the number pattern would cost
     * time quadratic in a long run of digits.
     */
    private static Found lastMath(String text, Targets targets, String rule) {
        if (text.length() > WINDOW) {
            text = text.substring(text.length() - WINDOW);
        }
        Found latex = null;
        int latexEnd = -1;
        if (targets != Targets.EXPR) {
            List<int[]> envs = new ArrayList<>();
            Matcher m = LATEX_ENV.matcher(text);
            while (m.find()) {
                int g = 1;
                while (m.group(g) == null) {
                    g++;
                }
                envs.add(new int[] {m.start(), m.end(), m.start(g), m.end(g)});
            }
            if (!envs.isEmpty()) {
                int last = envs.size() - 1;
                int first = last;
                while (first > 0 && last - first < 5
                        && ENV_JOIN.matcher(text.substring(envs.get(first - 1)[1], envs.get(first)[0])).matches()) {
                    first--;
                }
                StringBuilder joined = new StringBuilder();
                for (int i = first; i <= last; i++) {
                    if (!joined.isEmpty()) {
                        joined.append(", ");
                    }
                    joined.append(text, envs.get(i)[2], envs.get(i)[3]);
                }
                int end = envs.get(last)[1];
                Matcher pct = PERCENT_AFTER.matcher(text.substring(end));
                if (pct.find()) {
                    joined.append('%');
                    end += pct.end();
                }
                latex = new Found(joined.toString().strip(), rule + " (latex)", false);
                latexEnd = end;
            }
        }
        if (targets != Targets.LATEX) {
            Matcher m = PLAIN.matcher(text);
            Found plain = null;
            int plainEnd = -1;
            while (m.find()) {
                String t = m.group(1).strip() + (m.group(2) != null ? "%" : "");
                plain = new Found(t, rule + " (number)", true);
                plainEnd = m.end();
            }
            if (plain != null && plainEnd > latexEnd) {
                return plain;
            }
        }
        return latex;
    }
}
