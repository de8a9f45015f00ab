package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;

/**
 * Token sequences (a prompt, possibly followed by a completion) left-padded into one batch and run through the
 * decoder in a single forward. Row {@code b*T + t} of every hook buffer is slot t of sequence b; the i-th real
 * token of sequence b sits at slot {@code T - length(b) + i}. The prompt length of each sequence is given to
 * the pass, so vector positions (FIRST, PROMPT, ...) mean what they mean in generation.
 */
final class Batch {
    final int size, tokens;      // B and T
    final boolean[] valid;       // [B*T]
    final int[] lengths, promptLengths;
    private final TokenBatch batch;

    Batch(List<int[]> sequences, int[] promptLengths) {
        batch = TokenBatch.leftPadded(sequences, promptLengths);
        size = batch.rows();
        tokens = batch.tokens();
        valid = batch.valid();
        lengths = batch.lengths();
        this.promptLengths = batch.promptLengths();
    }

    /** A batch of prompts only. */
    static Batch ofPrompts(List<int[]> prompts) {
        int[] lens = new int[prompts.size()];
        for (int i = 0; i < lens.length; i++) lens[i] = prompts.get(i).length;
        return new Batch(prompts, lens);
    }

    /** The buffer row of the i-th real token of sequence b. */
    int row(int b, int i) {
        return b * tokens + tokens - lengths[b] + i;
    }

    /** Slot (time index) of the i-th real token of sequence b. */
    int slot(int b, int i) {
        return tokens - lengths[b] + i;
    }

    /** Per sequence, the row of the last prompt token (position p-1, whose logits give the first generated token). */
    int[] firstTokenRows() {
        int[] rows = new int[size];
        for (int b = 0; b < size; b++) rows[b] = row(b, promptLengths[b] - 1);
        return rows;
    }

    Transformer.Forward run(Transformer tf, Steering steering, Hooks hooks) {
        return tf.forward(batch, steering, hooks, Transformer.Save.NONE);
    }

    /** Logits [B, vocab] at the first-token rows. */
    float[] firstTokenLogits(Transformer tf, Steering steering, Hooks hooks) {
        return tf.logits(run(tf, steering, hooks), firstTokenRows());
    }

    /** Splits a list into consecutive chunks of at most n. */
    static <T> List<List<T>> chunks(List<T> all, int n) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += n) out.add(all.subList(i, Math.min(all.size(), i + n)));
        return out;
    }
}
