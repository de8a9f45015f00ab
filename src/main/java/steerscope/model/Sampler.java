package steerscope.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import steerscope.util.UserError;

/**
 * Picks the next token from logits: greedy (temperature 0), or sampling at a temperature after top-k and
 * top-p (nucleus) filtering, with a caller-owned random stream so each sequence's draws depend only on its
 * own seed, not on what else is in the batch.
 */
public record Sampler(float temperature, float topP, int topK) {
    public static final Sampler GREEDY = new Sampler(0f, 1f, 0);

    public Sampler {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new UserError("--temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new UserError("--top-p must be in (0, 1], got " + topP);
        if (topK < 0) throw new UserError("--top-k must be >= 0, got " + topK);
    }

    public boolean greedy() {
        return temperature == 0f;
    }

    /** Samples from logits[off, off + V); does not modify them. */
    public int sample(float[] logits, int off, int V, SplittableRandom rng) {
        for (int i = 0; i < V; i++) {
            if (!Float.isFinite(logits[off + i])) throw new NonFiniteLogits(i, logits[off + i]);
        }
        if (greedy()) return argmax(logits, off, V);
        double[] p = new double[V];
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < V; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        // StrictMath: Math.exp may differ by an ulp between JVMs and CPUs (docs/reproducibility.md)
        for (int i = 0; i < V; i++) {
            p[i] = StrictMath.exp((logits[off + i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < V; i++) p[i] /= sum;
        if (topK > 0 && topK < V || topP < 1f) {
            Integer[] order = new Integer[V];
            for (int i = 0; i < V; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> p[b] != p[a] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            int keep = topK > 0 ? Math.min(topK, V) : V;
            // top-p on the distribution top-k left (renormalised), as Hugging Face's warpers chain them
            double kMass = 0;
            for (int r = 0; r < keep; r++) kMass += p[order[r]];
            double cum = 0;
            for (int r = 0; r < keep; r++) {
                cum += p[order[r]] / kMass;
                if (cum >= topP) {
                    keep = r + 1;
                    break;
                }
            }
            double[] q = new double[V];
            double kept = 0;
            for (int r = 0; r < keep; r++) kept += p[order[r]];
            for (int r = 0; r < keep; r++) q[order[r]] = p[order[r]] / kept;
            System.arraycopy(q, 0, p, 0, V);
        }
        double u = rng.nextDouble(), cum = 0;
        int last = 0;
        for (int i = 0; i < V; i++) {
            if (p[i] == 0) continue;
            cum += p[i];
            last = i;
            if (u < cum) return i;
        }
        return last; // rounding: u landed past the last bucket
    }

    /** The model produced NaN or infinite logits: nothing sensible can be sampled from them. */
    public static final class NonFiniteLogits extends RuntimeException {
        NonFiniteLogits(int token, float value) {
            super("non-finite logit " + value + " for token " + token);
        }
    }

    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
