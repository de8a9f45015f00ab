package steerscope.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's str methods for Jinjava, which otherwise calls Java's String methods: HF chat templates write
 * {@code content.startswith('<x>')}, {@code .strip('\n')}, {@code .split('</think>')}, {@code .lower()}.
 * Only method calls on strings are handled here; everything else falls through to Jinjava's resolver.
 */
final class PyStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), p);
        if (result != NOT_HANDLED) context.setPropertyResolved(true);
        return result == NOT_HANDLED ? null : result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] p) {
        String a0 = p.length > 0 && p[0] != null ? p[0].toString() : null;
        return switch (name) {
            case "strip" -> rstrip(lstrip(s, a0), a0);
            case "lstrip" -> lstrip(s, a0);
            case "rstrip" -> rstrip(s, a0);
            case "startswith" -> a0 != null && s.startsWith(a0);
            case "endswith" -> a0 != null && s.endsWith(a0);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> split(s, a0, p.length > 1 && p[1] instanceof Number n ? n.intValue() : -1);
            case "replace" -> p.length >= 2 ? s.replace(a0, String.valueOf(p[1])) : NOT_HANDLED;
            case "find" -> a0 == null ? -1 : s.indexOf(a0);
            case "count" -> a0 == null || a0.isEmpty() ? 0 : (s.length() - s.replace(a0, "").length()) / a0.length();
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            default -> NOT_HANDLED;
        };
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strips(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    /** Python str.split: on a literal separator, or on whitespace runs when none is given. */
    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            for (String part : s.strip().split("\\s+")) if (!part.isEmpty()) out.add(part);
            return out;
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = sep.isEmpty() ? -1 : s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (char c : s.toCharArray()) {
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    // property access is not ours: let the next resolver answer
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
