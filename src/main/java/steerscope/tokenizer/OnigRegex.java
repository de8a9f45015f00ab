package steerscope.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma patterns of HF tokenizer.json files with java.util.regex.
 *
 * <p>Most of the syntax is shared (\p{L}, \p{N}, (?i:...), lookahead, possessive and atomic groups).
 * What differs is the meaning of the shorthands: in Oniguruma (UTF-8) they are Unicode-aware, in Java
 * they are ASCII unless rewritten. So \s, \d, \w and \h are rewritten to explicit Unicode classes. Case
 * folding of (?i:...) stays ASCII-only, as in Java by default (HF's contraction patterns only fold
 * ASCII letters). Oniguruma's '.' excludes only \n and ^/$ are line anchors: UNIX_LINES and MULTILINE.
 */
final class OnigRegex {
    private static final String SPACE = "\\p{IsWhite_Space}";
    private static final String NOT_SPACE = "\\P{IsWhite_Space}";
    private static final String WORD_CHARS = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}";
    private static final String HEX = "0-9A-Fa-f";

    private OnigRegex() {}

    static Pattern compile(String onig) {
        return Pattern.compile(translate(onig), Pattern.MULTILINE | Pattern.UNIX_LINES);
    }

    /** Rewrites the shorthand escapes; everything else passes through unchanged. */
    static String translate(String onig) {
        StringBuilder out = new StringBuilder(onig.length() + 32);
        int classDepth = 0;
        for (int i = 0; i < onig.length(); i++) {
            char c = onig.charAt(i);
            if (c == '\\' && i + 1 < onig.length()) {
                char e = onig.charAt(++i);
                boolean inClass = classDepth > 0;
                switch (e) {
                    case 's' -> out.append(SPACE);
                    case 'S' -> out.append(NOT_SPACE);
                    case 'd' -> out.append("\\p{Nd}");
                    case 'D' -> out.append("\\P{Nd}");
                    case 'w' -> out.append(inClass ? WORD_CHARS : "[" + WORD_CHARS + "]");
                    case 'W' -> out.append("[^" + WORD_CHARS + "]");
                    case 'h' -> out.append(inClass ? HEX : "[" + HEX + "]");
                    case 'H' -> out.append("[^" + HEX + "]");
                    default -> out.append('\\').append(e);
                }
            } else {
                if (c == '[') classDepth++;
                else if (c == ']' && classDepth > 0) classDepth--;
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Checks a pattern compiles; the message says why not. */
    static String problem(String onig) {
        try {
            compile(onig);
            return null;
        } catch (PatternSyntaxException e) {
            return e.getDescription() + " near index " + e.getIndex();
        }
    }
}
