package steerscope.task;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the model's final answer in a completion, in the order math RL recipes use:
 * <ol>
 *   <li>the content of the LAST non-empty {@code \boxed{...}} or {@code \fbox{...}} (nested braces allowed;
 *       also {@code \boxed 5}); an unclosed one (a truncated completion) is ignored;</li>
 *   <li>else what follows the LAST "answer is" / "answer:" / "answer =" phrase, up to the end of that line or
 *       sentence ("The answer is 5. Actually 6" gives 5: an explicit claim beats a stray later number);</li>
 *   <li>else the last number in the text (integers, {@code 1,234}, decimals, {@code a/b}, {@code \frac{a}{b}},
 *       with a sign unless the minus follows a digit or letter, as in {@code 3-5}).</li>
 * </ol>
 * The returned text is raw (e.g. {@code "\frac{1}{2}"} or {@code "$18."}); {@link AnswerChecker} normalizes it.
 */
public final class AnswerExtractor {
    private static final Pattern BOX_COMMAND = Pattern.compile("\\\\(?:boxed|fbox)(?![A-Za-z])");
    private static final Pattern ANSWER_PHRASE =
            Pattern.compile("(?i)\\banswer\\s*\\**\\s*(?:is\\b\\s*:?|:|=)\\s*\\**");
    private static final Pattern SENTENCE_END = Pattern.compile("\\.(?!\\d)|\\n");
    private static final Pattern NUMBER = Pattern.compile(
            "\\\\[dt]?frac\\{\\s*[-\u2212]?\\d+\\s*\\}\\{\\s*\\d+\\s*\\}"
            + "|(?<![\\w.])[-\u2212]?(?:\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+)(?:\\.\\d+)?(?:/\\d+)?"
            + "|(?<![\\w.])[-\u2212]?\\.\\d+");

    private AnswerExtractor() {}

    /** The final answer of a completion by the rules above, or empty when there is none. */
    public static Optional<String> extract(String completion) {
        if (completion == null || completion.isBlank()) {
            return Optional.empty();
        }
        Optional<String> boxed = lastBoxed(completion);
        if (boxed.isPresent()) {
            return boxed;
        }
        Optional<String> phrase = afterLastAnswerPhrase(completion);
        if (phrase.isPresent()) {
            return phrase;
        }
        return lastNumber(completion);
    }

    /** Content of the last complete, non-empty {@code \boxed{...}} / {@code \fbox{...}} / {@code \boxed x}. */
    public static Optional<String> lastBoxed(String text) {
        Matcher m = BOX_COMMAND.matcher(text);
        String found = null;
        while (m.find()) {
            String content = boxContent(text, m.end());
            if (content != null && !content.isBlank()) {
                found = content.strip();
            }
        }
        return Optional.ofNullable(found);
    }

    /** What follows the box command at {@code i}: a braced group, or one space-delimited token; null if unclosed. */
    private static String boxContent(String text, int i) {
        int j = i;
        while (j < text.length() && text.charAt(j) == ' ') {
            j++;
        }
        if (j < text.length() && text.charAt(j) == '{') {
            int close = matchingBrace(text, j);
            return close < 0 ? null : text.substring(j + 1, close);
        }
        int end = j;
        while (end < text.length() && !Character.isWhitespace(text.charAt(end)) && text.charAt(end) != '$') {
            end++;
        }
        return text.substring(j, end);
    }

    /** Index of the brace closing the one at {@code open}, or -1; {@code \{} and {@code \}} are skipped. */
    static int matchingBrace(String text, int open) {
        int depth = 0;
        for (int k = open; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c == '\\') {
                k++; // escaped character, e.g. \{ in a set
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return k;
            }
        }
        return -1;
    }

    private static Optional<String> afterLastAnswerPhrase(String text) {
        Matcher m = ANSWER_PHRASE.matcher(text);
        int lastEnd = -1;
        while (m.find()) {
            lastEnd = m.end();
        }
        if (lastEnd < 0) {
            return Optional.empty();
        }
        String rest = text.substring(lastEnd).stripLeading();
        Matcher end = SENTENCE_END.matcher(rest);
        String chunk = (end.find() ? rest.substring(0, end.start()) : rest).strip();
        return chunk.isEmpty() ? Optional.empty() : Optional.of(chunk);
    }

    private static Optional<String> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return Optional.ofNullable(last);
    }
}
