package steerscope.analysis;

import steerscope.model.Hooks;
import steerscope.model.Steering;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
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
        return tf.forward(TokenBatch.single(ids, promptLen), steering, hooks, Transformer.Save.NONE).normed;
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
        pairs(tf, a, tf, b, from, to, f);
    }

    /** The same for two models of one vocabulary (e.g. a fine-tune and its base), each row through its own model's head. */
    public static void pairs(Transformer tfA, float[] a, Transformer tfB, float[] b, int from, int to, Pairs f) {
        int d = tfA.config.hiddenSize(), V = tfA.config.vocabSize(), chunk = Math.max(1, chunkRows(V) / 2);
        float[] la = new float[chunk * V], lb = new float[chunk * V];
        for (int r0 = from; r0 < to; r0 += chunk) {
            int n = Math.min(chunk, to - r0);
            Kernels.matmul(la, 0, a, r0 * d, n, tfA.weights.lmHead, null, false);
            Kernels.matmul(lb, 0, b, r0 * d, n, tfB.weights.lmHead, null, false);
            for (int i = 0; i < n; i++) f.row(r0 + i, la, lb, i * V);
        }
    }
}
