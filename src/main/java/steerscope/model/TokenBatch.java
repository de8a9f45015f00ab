package steerscope.model;

import java.util.Arrays;
import java.util.List;

/**
 * B token sequences laid out on one time axis of T slots, the input of a {@link Transformer} pass: {@code ids} and
 * {@code valid} are [rows, tokens] flattened (padding slots are not valid), {@code lengths[b]} counts row b's real
 * tokens and {@code promptLengths[b]} how many of them are the prompt (vector positions such as FIRST or PROMPT are
 * counted from it). For a decode step (T = 1) the prompt lengths are those of the sequences being continued.
 */
public record TokenBatch(int rows, int tokens, int[] ids, boolean[] valid, int[] lengths, int[] promptLengths) {
    public TokenBatch {
        if (ids.length != rows * tokens || valid.length != rows * tokens) {
            throw new IllegalArgumentException("ids/valid hold " + ids.length + "/" + valid.length + " slots, not " + rows + " x " + tokens);
        }
        if (lengths.length != rows || promptLengths.length != rows) {
            throw new IllegalArgumentException(lengths.length + " lengths and " + promptLengths.length + " prompt lengths for " + rows + " rows");
        }
    }

    /** Any layout: the lengths are counted from valid. */
    public static TokenBatch of(int rows, int tokens, int[] ids, boolean[] valid, int[] promptLengths) {
        int[] lengths = new int[rows];
        for (int n = 0; n < rows * tokens; n++) if (valid[n]) lengths[n / tokens]++;
        return new TokenBatch(rows, tokens, ids, valid, lengths, promptLengths);
    }

    /** One sequence, all real, whose first promptLength tokens are the prompt. */
    public static TokenBatch single(int[] ids, int promptLength) {
        boolean[] valid = new boolean[ids.length];
        Arrays.fill(valid, true);
        return new TokenBatch(1, ids.length, ids, valid, new int[] {ids.length}, new int[] {promptLength});
    }

    /**
     * Left-padded to the longest: the i-th token of row b sits at slot {@code tokens - length(b) + i}, so every row's
     * last token is in the last slot (where generation continues from).
     */
    public static TokenBatch leftPadded(List<int[]> sequences, int[] promptLengths) {
        int B = sequences.size(), T = 0;
        for (int[] s : sequences) T = Math.max(T, s.length);
        int[] ids = new int[B * T], lengths = new int[B];
        boolean[] valid = new boolean[B * T];
        for (int b = 0; b < B; b++) {
            int[] s = sequences.get(b);
            if (s.length == 0) throw new IllegalArgumentException("empty sequence in row " + b);
            int pad = T - s.length;
            System.arraycopy(s, 0, ids, b * T + pad, s.length);
            Arrays.fill(valid, b * T + pad, b * T + T, true);
            lengths[b] = s.length;
        }
        return new TokenBatch(B, T, ids, valid, lengths, promptLengths.clone());
    }

    /** Prompts only, left-padded: each whole sequence is its prompt. */
    public static TokenBatch leftPadded(List<int[]> prompts) {
        int[] lens = new int[prompts.size()];
        for (int b = 0; b < lens.length; b++) lens[b] = prompts.get(b).length;
        return leftPadded(prompts, lens);
    }

    /** Right-padded to the longest: row b is prompt b then completion b from slot 0, padding after. */
    public static TokenBatch rightPadded(List<int[]> prompts, List<int[]> completions) {
        int B = prompts.size(), T = 0;
        for (int b = 0; b < B; b++) T = Math.max(T, prompts.get(b).length + completions.get(b).length);
        int[] ids = new int[B * T], lengths = new int[B], promptLengths = new int[B];
        boolean[] valid = new boolean[B * T];
        for (int b = 0; b < B; b++) {
            int[] p = prompts.get(b), c = completions.get(b);
            System.arraycopy(p, 0, ids, b * T, p.length);
            System.arraycopy(c, 0, ids, b * T + p.length, c.length);
            lengths[b] = p.length + c.length;
            promptLengths[b] = p.length;
            Arrays.fill(valid, b * T, b * T + lengths[b], true);
        }
        return new TokenBatch(B, T, ids, valid, lengths, promptLengths);
    }
}
