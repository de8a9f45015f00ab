package steerscope.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.tokenizer.Tokenizer;

/**
 * The tokens the analyses rank and name: ids below both the tokenizer's and the model's vocabulary size (a
 * model's extra padding rows of the unembedding are not tokens). Token text is the decoded id.
 */
final class Vocab {
    final Tokenizer tokenizer;
    final int size;

    Vocab(Tokenizer tokenizer, int modelVocab) {
        this.tokenizer = tokenizer;
        this.size = Math.min(tokenizer.vocabSize(), modelVocab);
    }

    /** The decoded text; a token that is only part of a UTF-8 character shows its bytes, e.g. "<0xE2 0x80>". */
    String text(int id) {
        if (!tokenizer.has(id)) return "<" + id + ">"; // a hole in the vocab, or a padded embedding row
        String t = tokenizer.decode(new int[] {id});
        if (t.indexOf('\uFFFD') < 0 || tokenizer.isSpecial(id)) return t;
        StringBuilder sb = new StringBuilder("<");
        for (char c : tokenizer.piece(id).toCharArray()) {
            if (sb.length() > 1) sb.append(' ');
            sb.append(String.format("0x%02X", byteOf(c)));
        }
        return sb.append('>').toString();
    }

    /**
     * The byte a byte-level BPE character stands for (GPT-2's bytes_to_unicode, inverted): printable bytes
     * are themselves, the others were shifted to 256 + their index among the non-printable ones.
     */
    static int byteOf(char c) {
        if (printable(c)) return c;
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (printable((char) b)) continue;
            if (256 + n == c) return b;
            n++;
        }
        return '?';
    }

    private static boolean printable(char b) {
        return (b >= '!' && b <= '~') || (b >= '\u00A1' && b <= '\u00AC') || (b >= '\u00AE' && b <= '\u00FF');
    }

    /** {"id", "text", "value"} */
    Map<String, Object> entry(int id, double value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("text", text(id));
        m.put("value", Out.num(value));
        return m;
    }

    /** The k ids with the largest (descending) or smallest values among values[off, off + size). */
    int[] top(float[] values, int off, int k, boolean descending) {
        double[] v = new double[size];
        for (int i = 0; i < size; i++) v[i] = values[off + i];
        return top(v, k, descending);
    }

    int[] top(double[] values, int k, boolean descending) {
        Integer[] idx = new Integer[size];
        for (int i = 0; i < size; i++) idx[i] = i;
        // ties broken by id so the order is deterministic
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(values[b], values[a]);
            if (!descending) c = -c;
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.min(k, size);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx[i];
        return out;
    }

    /** Token entries for ids, valued from values[id]. */
    List<Map<String, Object>> entries(int[] ids, double[] values) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int id : ids) out.add(entry(id, values[id]));
        return out;
    }

    /** Token entries for ids, valued from values[off + id]. */
    List<Map<String, Object>> entries(int[] ids, float[] values, int off) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int id : ids) out.add(entry(id, values[off + id]));
        return out;
    }

    /** Mean of values[off, off + size): the vocabulary mean the lens values are centred on. */
    double mean(float[] values, int off) {
        double s = 0;
        for (int i = 0; i < size; i++) s += values[off + i];
        return s / size;
    }
}
