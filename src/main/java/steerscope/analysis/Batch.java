package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import steerscope.model.Hooks;
import steerscope.model.KVCache;
import steerscope.model.LeftPadded;
import steerscope.model.Transformer;
import steerscope.steer.Steering;

/**
 * Token sequences (a prompt, possibly followed by a completion) left-padded into one batch and run through the
 * decoder in a single forward. Row {@code b*T + t} of every hook buffer is slot t of sequence b; the i-th real
 * token of sequence b sits at slot {@code T - length(b) + i}. The prompt length of each sequence is given to
 * the cache, so vector positions (FIRST, PROMPT, ...) mean what they mean in generation.
 */
final class Batch {
    final int size, tokens;      // B and T
    final int[] ids;             // [B*T]
    final boolean[] valid;       // [B*T]
    final int[] lengths, promptLengths;

    Batch(List<int[]> sequences, int[] promptLengths) {
        LeftPadded padded = LeftPadded.of(sequences);
        size = padded.rows();
        tokens = padded.tokens();
        ids = padded.ids();
        valid = padded.valid();
        lengths = new int[size];
        for (int b = 0; b < size; b++) lengths[b] = sequences.get(b).length;
        this.promptLengths = promptLengths.clone();
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
        KVCache cache = new KVCache(tf.config, size, tokens);
        cache.setPromptLengths(promptLengths);
        return tf.forward(cache, ids, valid, tokens, steering, hooks, Transformer.Save.NONE);
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
