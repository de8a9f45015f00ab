package steerscope.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Rewrites the Jinja2 constructs of HF chat templates that Jinjava reads differently, leaving the rest
 * of the template as is:
 * <ul>
 *   <li>whitespace control on expressions: Jinjava ignores the dash of {@code {{-} and {@code -}}}, so the
 *       whitespace they would strip is removed here and the dash dropped;</li>
 *   <li>keyword arguments: Jinjava binds {@code f(a=x - 1)} as {@code (a=x) - 1}; values get parentheses,
 *       {@code f(a=(x - 1))} (Qwen's {@code namespace(last_query_index=messages|length - 1)});</li>
 *   <li>reversed slices: Jinjava's slices take no step, so {@code xs[::-1]} becomes {@code (xs|reverse)}.</li>
 * </ul>
 * Only text inside {{ }} and {% %} is touched; string literals are skipped.
 */
final class JinjaCompat {
    private JinjaCompat() {}

    static String rewrite(String template) {
        return wrapKeywordArguments(template).replaceAll("([A-Za-z_][A-Za-z0-9_.]*)\\[::-1\\]", "($1|reverse)");
    }

    static String wrapKeywordArguments(String t) {
        StringBuilder out = new StringBuilder(t.length() + 16);
        int i = 0;
        while (i < t.length()) {
            boolean opens = t.startsWith("{{", i) || t.startsWith("{%", i);
            if (!opens) {
                out.append(t.charAt(i++));
                continue;
            }
            boolean expression = t.charAt(i + 1) == '{';
            String close = expression ? "}}" : "%}";
            int bodyStart = i + 2;
            if (expression && t.startsWith("-", bodyStart)) {
                while (!out.isEmpty() && Character.isWhitespace(out.charAt(out.length() - 1))) out.setLength(out.length() - 1);
                bodyStart++;
            }
            out.append(t, i, i + 2);
            i = rewriteTag(t, bodyStart, close, out);
            if (expression && out.length() >= 3 && out.charAt(out.length() - 3) == '-') {
                out.deleteCharAt(out.length() - 3); // "-}}" -> "}}", then drop the whitespace after it
                while (i < t.length() && Character.isWhitespace(t.charAt(i))) i++;
            }
        }
        return out.toString();
    }

    /** Copies one tag body up to and including {@code close}; returns the index after it. */
    private static int rewriteTag(String t, int i, String close, StringBuilder out) {
        Deque<Character> brackets = new ArrayDeque<>();
        Deque<Integer> pendingClose = new ArrayDeque<>(); // bracket depths where a ')' must be added
        while (i < t.length()) {
            char c = t.charAt(i);
            if (brackets.isEmpty() && t.startsWith(close, i)) {
                out.append(close);
                return i + close.length();
            }
            if (c == '\'' || c == '"') {
                int end = i + 1;
                while (end < t.length() && t.charAt(end) != c) end += t.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(end + 1, t.length());
                out.append(t, i, end);
                i = end;
                continue;
            }
            if ((c == ',' || c == ')') && !pendingClose.isEmpty() && pendingClose.peek() == brackets.size()) {
                pendingClose.pop();
                out.append(')');
            }
            if (c == '(' || c == '[' || c == '{') brackets.push(c);
            else if ((c == ')' || c == ']' || c == '}') && !brackets.isEmpty()) brackets.pop();
            out.append(c);
            if (c == '=' && isKeywordEquals(t, i, brackets)) {
                out.append('(');
                pendingClose.push(brackets.size());
            }
            i++;
        }
        return i;
    }

    /** An '=' that names an argument: inside (...), after "( name" or ", name", and not part of ==, !=, <=, >=. */
    private static boolean isKeywordEquals(String t, int i, Deque<Character> brackets) {
        if (brackets.isEmpty() || brackets.peek() != '(') return false;
        if (i + 1 < t.length() && t.charAt(i + 1) == '=') return false;
        int j = i - 1;
        while (j >= 0 && t.charAt(j) == ' ') j--;
        int end = j;
        while (j >= 0 && (Character.isLetterOrDigit(t.charAt(j)) || t.charAt(j) == '_')) j--;
        if (j == end) return false; // no identifier before '='
        while (j >= 0 && t.charAt(j) == ' ') j--;
        return j >= 0 && (t.charAt(j) == '(' || t.charAt(j) == ',');
    }
}
