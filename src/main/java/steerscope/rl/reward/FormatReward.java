package steerscope.rl.reward;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import steerscope.task.Problem;

/**
 * 1 if the completion has the expected form, else 0 (weight it in a {@link CompositeReward}).
 *
 * <p>The default rule ({@link #boxedAtEnd()}): the completion contains exactly one {@code \boxed} or
 * {@code \fbox}, it is closed and non-empty ({@code \boxed{...}} with balanced braces), and after its closing
 * brace there is nothing but whitespace, {@code $}, {@code .}, {@code \]}, {@code \)} or markdown {@code *}.
 * So "... is $\boxed{5}$." passes; two boxes, a box followed by more prose, or a truncated
 * box with no closing brace do not. The caller passes the decoded completion without end-of-sequence tokens.
 *
 * <p>{@link #matching} gives a rule of your own: 1 if the regex is found anywhere (anchor it for whole-text rules).
 */
public final class FormatReward implements Reward {
    private static final Pattern BOX_COMMAND = Pattern.compile("\\\\(?:boxed|fbox)(?![A-Za-z])");
    private static final Pattern ALLOWED_TAIL = Pattern.compile("(?:\\s|\\$|\\.|\\\\\\]|\\\\\\)|\\*)*");

    private final String name;
    private final Pattern pattern; // null: the boxed-at-end rule

    private FormatReward(String name, Pattern pattern) {
        this.name = Objects.requireNonNull(name, "name");
        this.pattern = pattern;
    }

    public static FormatReward boxedAtEnd() {
        return new FormatReward("format", null);
    }

    public static FormatReward matching(String name, Pattern pattern) {
        return new FormatReward(name, Objects.requireNonNull(pattern, "pattern"));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double score(Problem problem, String completion) {
        if (completion == null) {
            return 0.0;
        }
        boolean ok = pattern != null ? pattern.matcher(completion).find() : hasOneBoxAtEnd(completion);
        return ok ? 1.0 : 0.0;
    }

    static boolean hasOneBoxAtEnd(String text) {
        Matcher m = BOX_COMMAND.matcher(text);
        if (!m.find()) {
            return false;
        }
        int afterCommand = m.end();
        if (m.find()) {
            return false; // more than one box
        }
        int open = afterCommand;
        while (open < text.length() && text.charAt(open) == ' ') {
            open++;
        }
        if (open >= text.length() || text.charAt(open) != '{') {
            return false;
        }
        int close = matchingBrace(text, open);
        if (close < 0 || text.substring(open + 1, close).isBlank()) {
            return false;
        }
        return ALLOWED_TAIL.matcher(text.substring(close + 1)).matches();
    }

    private static int matchingBrace(String text, int open) {
        int depth = 0;
        for (int k = open; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c == '\\') {
                k++;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return k;
            }
        }
        return -1;
    }
}
