package steerscope.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts normalized text into pre-tokens, the units BPE merges within. The byte-level mapping itself is
 * done by the tokenizer after the last step; here ByteLevel only contributes its prefix space and regex.
 */
sealed interface PreTokenizer {
    /** GPT-2's pattern, used by ByteLevel when use_regex is true. */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    void split(String text, List<String> out);

    default List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, out);
        return out;
    }

    /** How a Split keeps the matches (HF SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** HF Split: the regex matches (or, with invert, the text between them) are the delimiters. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            // pieces as [start, end, isDelimiter] in order, like the Rust find_matches
            List<int[]> pieces = new ArrayList<>();
            Matcher m = pattern.matcher(text);
            int prev = 0;
            while (m.find()) {
                if (m.start() == m.end()) continue;
                if (prev < m.start()) pieces.add(new int[] {prev, m.start(), invert ? 1 : 0});
                pieces.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                prev = m.end();
            }
            if (prev < text.length()) pieces.add(new int[] {prev, text.length(), invert ? 1 : 0});
            switch (behavior) {
                case ISOLATED -> {
                    for (int[] p : pieces) out.add(text.substring(p[0], p[1]));
                }
                case REMOVED -> {
                    for (int[] p : pieces) if (p[2] == 0) out.add(text.substring(p[0], p[1]));
                }
                case MERGED_WITH_PREVIOUS -> mergeRuns(text, pieces, out, (prevPiece, p) -> p[2] == 1 && prevPiece[2] == 0);
                case MERGED_WITH_NEXT -> mergeRuns(text, pieces, out, (prevPiece, p) -> prevPiece[2] == 1 && p[2] == 0);
                case CONTIGUOUS -> mergeRuns(text, pieces, out, (prevPiece, p) -> prevPiece[2] == 1 && p[2] == 1);
            }
        }

        private interface Joins {
            boolean joins(int[] previous, int[] piece);
        }

        /** Emits pieces, gluing a piece onto the current one when {@code joins} says so. */
        private static void mergeRuns(String text, List<int[]> pieces, List<String> out, Joins joins) {
            int start = -1, end = -1;
            int[] previous = null;
            for (int[] p : pieces) {
                if (start >= 0 && joins.joins(previous, p)) {
                    end = p[1];
                } else {
                    if (start >= 0) out.add(text.substring(start, end));
                    start = p[0];
                    end = p[1];
                }
                previous = p;
            }
            if (start >= 0) out.add(text.substring(start, end));
        }
    }

    /** HF ByteLevel pre-tokenizer, minus the byte mapping (done by the caller). */
    record ByteLevelSplit(boolean addPrefixSpace, Pattern regex) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            if (regex == null) {
                out.add(text);
                return;
            }
            Matcher m = regex.matcher(text);
            int prev = 0;
            while (m.find()) {
                if (m.start() == m.end()) continue;
                if (prev < m.start()) out.add(text.substring(prev, m.start()));
                out.add(m.group());
                prev = m.end();
            }
            if (prev < text.length()) out.add(text.substring(prev));
        }
    }

    /** Each step splits every piece of the previous one. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            List<String> pieces = List.of(text);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                for (String piece : pieces) step.split(piece, next);
                pieces = next;
            }
            out.addAll(pieces);
        }
    }
}
