package steerscope.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens (special or not) in text before anything else runs, leftmost first and the longest
 * at a position, honouring lstrip/rstrip (eat the whitespace beside the token) and single_word (only match
 * when not glued to word characters).
 */
final class AddedTokens {
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                      boolean singleWord, boolean normalized) {}

    /** A piece of the split: either plain text (id -1) or an added token. */
    record Segment(String text, int id) {
        boolean isToken() {
            return id >= 0;
        }
    }

    /** candidates by first char, longest first */
    private final Map<Character, List<AddedToken>> byFirstChar = new HashMap<>();

    AddedTokens(List<AddedToken> tokens) {
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            byFirstChar.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        }
        for (List<AddedToken> list : byFirstChar.values()) {
            list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        }
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (byFirstChar.isEmpty()) {
            out.add(new Segment(text, -1));
            return out;
        }
        int textStart = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            int start = i, end = i + match.content().length();
            if (match.lstrip()) while (start > textStart && isWhite(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (end < text.length() && isWhite(text.charAt(end))) end++;
            if (start > textStart) out.add(new Segment(text.substring(textStart, start), -1));
            out.add(new Segment(match.content(), match.id()));
            textStart = i = end;
        }
        if (textStart < text.length()) out.add(new Segment(text.substring(textStart), -1));
        return out;
    }

    private AddedToken matchAt(String text, int i) {
        List<AddedToken> candidates = byFirstChar.get(text.charAt(i));
        if (candidates == null) return null;
        for (AddedToken t : candidates) {
            if (!text.startsWith(t.content(), i)) continue;
            int end = i + t.content().length();
            if (t.singleWord() && ((i > 0 && isWordChar(text.codePointBefore(i)))
                    || (end < text.length() && isWordChar(text.codePointAt(end))))) continue;
            return t;
        }
        return null;
    }

    private static boolean isWhite(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || cp == '_';
    }
}
