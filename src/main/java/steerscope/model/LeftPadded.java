package steerscope.model;

import java.util.Arrays;
import java.util.List;

/**
 * Token sequences left-padded to one length, the layout of a batched forward: {@code ids} and {@code valid} are
 * [rows, tokens] flattened, and the i-th token of row b sits at slot {@code tokens - length(b) + i}, so every row's
 * last token is in the last slot (where generation continues from).
 */
public record LeftPadded(int rows, int tokens, int[] ids, boolean[] valid) {
    public static LeftPadded of(List<int[]> sequences) {
        int B = sequences.size(), T = 0;
        for (int[] s : sequences) T = Math.max(T, s.length);
        int[] ids = new int[B * T];
        boolean[] valid = new boolean[B * T];
        for (int b = 0; b < B; b++) {
            int[] s = sequences.get(b);
            if (s.length == 0) throw new IllegalArgumentException("empty sequence in row " + b);
            int pad = T - s.length;
            System.arraycopy(s, 0, ids, b * T + pad, s.length);
            Arrays.fill(valid, b * T + pad, b * T + T, true);
        }
        return new LeftPadded(B, T, ids, valid);
    }
}
