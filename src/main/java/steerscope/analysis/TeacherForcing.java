package steerscope.analysis;

import java.util.Arrays;
import steerscope.model.Hooks;
import steerscope.model.KVCache;
import steerscope.model.Transformer;
import steerscope.steer.Steering;
import steerscope.tensor.Kernels;

/**
 * Forward-only teacher forcing: a fixed sequence (prompt + completion) through the model once, no backward
 * state kept, and its next-token logits computed a chunk of rows at a time, so a [T, vocab] block of logits
 * is never held (a 152k vocabulary makes that 600 kB per token). Row i's logits predict token i + 1.
 */
public final class TeacherForcing {
    /** Sees the logits of one row: {@code logits[off, off + vocab)}, valid only during the call. */
    @FunctionalInterface
    public interface Rows {
        void row(int i, float[] logits, int off);
    }

    /** Sees the logits of one row under two runs of the same tokens (e.g. steered and with the vector zeroed). */
    @FunctionalInterface
    public interface Pairs {
        void row(int i, float[] a, float[] b, int off);
    }

    private TeacherForcing() {}

    /** Final normalised hidden states [T, d] of one sequence whose first promptLen tokens are the prompt. */
    public static float[] normed(Transformer tf, int[] ids, int promptLen, Steering steering, Hooks hooks) {
        KVCache cache = new KVCache(tf.config, 1, ids.length);
        cache.setPromptLengths(new int[] {promptLen});
        boolean[] valid = new boolean[ids.length];
        Arrays.fill(valid, true);
        return tf.forward(cache, ids, valid, ids.length, steering, hooks, Transformer.Save.NONE).normed;
    }

    /** Rows of logits per chunk: as many as fit 32 MiB, at least one. */
    static int chunkRows(int vocab) {
        return (int) Math.max(1, (32L << 20) / (4L * vocab));
    }

    /** Calls {@code f} for rows from..to-1 of the hidden states, in order. */
    public static void rows(Transformer tf, float[] normed, int from, int to, Rows f) {
        rows(tf, normed, from, to, chunkRows(tf.config.vocabSize()), f);
    }

    static void rows(Transformer tf, float[] normed, int from, int to, int chunk, Rows f) {
        int d = tf.config.hiddenSize(), V = tf.config.vocabSize();
        float[] logits = new float[chunk * V];
        for (int r0 = from; r0 < to; r0 += chunk) {
            int n = Math.min(chunk, to - r0);
            Kernels.matmul(logits, 0, normed, r0 * d, n, tf.weights.lmHead, null, false);
            for (int i = 0; i < n; i++) f.row(r0 + i, logits, i * V);
        }
    }

    /** Calls {@code f} for rows from..to-1 of two runs' hidden states, in order. */
    public static void pairs(Transformer tf, float[] a, float[] b, int from, int to, Pairs f) {
        int d = tf.config.hiddenSize(), V = tf.config.vocabSize(), chunk = Math.max(1, chunkRows(V) / 2);
        float[] la = new float[chunk * V], lb = new float[chunk * V];
        for (int r0 = from; r0 < to; r0 += chunk) {
            int n = Math.min(chunk, to - r0);
            Kernels.matmul(la, 0, a, r0 * d, n, tf.weights.lmHead, null, false);
            Kernels.matmul(lb, 0, b, r0 * d, n, tf.weights.lmHead, null, false);
            for (int i = 0; i < n; i++) f.row(r0 + i, la, lb, i * V);
        }
    }

    /** log p(ids[i + 1] | ids[0..i]) for every completion token: [ids.length − promptLen]. */
    public static float[] completionLogProbs(Transformer tf, int[] ids, int promptLen, Steering steering, Hooks hooks) {
        return completionLogProbs(tf, ids, promptLen, steering, hooks, chunkRows(tf.config.vocabSize()));
    }

    static float[] completionLogProbs(Transformer tf, int[] ids, int promptLen, Steering steering, Hooks hooks, int chunk) {
        float[] out = new float[ids.length - promptLen];
        int V = tf.config.vocabSize();
        rows(tf, normed(tf, ids, promptLen, steering, hooks), promptLen - 1, ids.length - 1, chunk,
                (i, logits, off) -> out[i - promptLen + 1] = logits[off + ids[i + 1]] - Kernels.logSumExp(logits, off, V));
        return out;
    }
}
