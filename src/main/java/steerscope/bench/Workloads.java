package steerscope.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.model.Gradients;
import steerscope.model.KVCache;
import steerscope.model.Model;
import steerscope.model.ModelWeights;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.model.WeightedLogProbLoss;
import steerscope.rl.optim.AdamW;

/**
 * The bench workloads on steerscope, the same as tools/bench/torch_bench.py runs on PyTorch: each is set up once,
 * run {@code warmup} times (and on until 2 s have passed), then timed {@code repeats} times (stopping early past a
 * time budget).
 */
public final class Workloads {
    /** Seconds of each measured repeat, and tokens processed per repeat. */
    public record Timing(List<Double> times, long tokens, long activationBytes) {
        public double median() {
            double[] t = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int n = t.length;
            return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        }
    }

    /** How many times to run. */
    public record Plan(int warmup, int repeats, double budgetSeconds) {}

    private Workloads() {}

    /** Forward of B x T tokens into an empty cache (hidden states only, as a prefill before generation). */
    public static Timing prefill(Model m, int B, int T, long seed, Plan plan) {
        Transformer tf = m.transformer;
        TokenBatch batch = batch(ids(m, B, T, seed), B, T);
        return time(plan, B * T, () -> tf.forward(batch, null, null, Transformer.Save.NONE));
    }

    /**
     * Prefills one prompt of T tokens (not timed) and gives its keys and values to each of the B rows, then each
     * repeat times {@code steps} greedy decode steps of all B rows with the KV cache, logits included: the context
     * grows from T to T + repeats·steps, as on the torch and llama.cpp sides, which start the same way. One shared
     * prompt instead of B different ones: the timed steps do the same work either way (dense products over every
     * row's own cache), and a B x T prefill would cost more than the timed steps. The warm-up decodes on a separate
     * short cache, so it does not move the measured context.
     */
    public static Timing decode(Model m, int B, int T, int steps, long seed, Plan plan) {
        long start = System.nanoTime();
        for (int i = 0; i < plan.warmup() || (i > 0 && warmingUp(start, i)); i++) {
            decodeRun(m, B, Math.min(T, 16), steps, seed, new Plan(0, 1, Double.MAX_VALUE));
        }
        return decodeRun(m, B, T, steps, seed, new Plan(0, plan.repeats(), plan.budgetSeconds()));
    }

    private static Timing decodeRun(Model m, int B, int T, int steps, long seed, Plan plan) {
        Transformer tf = m.transformer;
        int V = m.config.vocabSize();
        KVCache prompt = new KVCache(m.config, 1, T + plan.repeats() * steps);
        Transformer.Forward f = tf.extend(prompt, batch(ids(m, 1, T, seed), 1, T), null, null);
        int first = argmax(tf.logits(f, new int[] {T - 1}), 1, V)[0];
        KVCache cache = prompt.keepRows(new int[B]); // row 0's keys and values, once per row
        int[] next = new int[B];
        Arrays.fill(next, first);
        int[] promptLengths = new int[B];
        Arrays.fill(promptLengths, T);
        TokenBatch step = TokenBatch.of(B, 1, next, allValid(B), promptLengths); // next is refilled each step
        // the new cache is still in the young generation: without this, the collector copies it (hundreds of MB at
        // 0.5B size) during the timed steps, which is the set-up's cost, not decoding's
        System.gc();
        return time(plan, (long) B * steps, () -> {
            for (int s = 0; s < steps; s++) {
                Transformer.Forward g = tf.extend(cache, step, null, null);
                int[] n = argmax(tf.logits(g), B, V);
                System.arraycopy(n, 0, next, 0, B);
            }
        });
    }

    /**
     * One RL step for steering vectors: forward of B x T with a vector after every block, the policy-gradient loss
     * −Σ adv_b · log p(token) / B over every target, backward to the vectors only. With {@code recompute} the forward
     * keeps only each block's input and the backward recomputes the block (train --recompute).
     */
    public static Timing rlStep(Model m, int B, int T, long seed, Plan plan, boolean recompute) {
        Transformer tf = m.transformer;
        int[] ids = ids(m, B, T, seed);
        WeightedLogProbLoss loss = loss(ids, B, T, seed);
        SteeringVectors vectors = SteeringVectors.zeros(m.config.nLayers(), m.config.hiddenSize(), null);
        Steering steering = Steering.of(vectors);
        Gradients grads = new Gradients(m.config, false);
        TokenBatch batch = batch(ids, B, T);
        return time(plan, B * T, () -> {
            grads.zero();
            Transformer.Forward f = tf.forward(batch, steering, null, recompute ? Transformer.Save.BLOCK_INPUTS : Transformer.Save.ALL);
            activation[0] = f.activationBytes();
            tf.backward(f, loss, grads, null);
        });
    }

    /** One full fine-tuning step on an F32 copy of the weights: forward, backward to every weight, AdamW. */
    public static Timing fullStep(Model base, int B, int T, long seed, Plan plan) {
        ModelWeights w = base.weights.trainableCopy();
        Model m = base.withWeights(w);
        Transformer tf = m.transformer;
        int[] ids = ids(m, B, T, seed);
        WeightedLogProbLoss loss = loss(ids, B, T, seed);
        Gradients grads = new Gradients(m.config, true);
        List<AdamW.Param> params = new ArrayList<>();
        Map<String, float[]> byName = w.arraysByName();
        grads.forEachWeight((n, g) -> params.add(new AdamW.Param(n, byName.get(n), g, true)));
        AdamW adam = new AdamW(params, 0.9, 0.999, 1e-8, 0.0);
        TokenBatch batch = batch(ids, B, T);
        return time(plan, B * T, () -> {
            grads.zero();
            Transformer.Forward f = tf.forward(batch, null, null, Transformer.Save.ALL);
            activation[0] = f.activationBytes();
            tf.backward(f, loss, grads, null);
            adam.step(1e-5);
        });
    }

    /** Activation bytes of the last training forward a workload made (0 for inference). */
    private static final long[] activation = new long[1];

    /** Warm-up goes on past its planned runs until 2 s have passed (at most 50 runs): C2 has compiled the kernels by then. */
    private static final double MIN_WARMUP_SECONDS = 2;

    private static boolean warmingUp(long start, int runs) {
        return runs < 50 && (System.nanoTime() - start) / 1e9 < MIN_WARMUP_SECONDS;
    }

    private static Timing time(Plan plan, long tokens, Runnable body) {
        activation[0] = 0;
        long start = System.nanoTime();
        for (int i = 0; i < plan.warmup() || (i > 0 && warmingUp(start, i)); i++) body.run();
        List<Double> times = new ArrayList<>();
        double total = 0;
        for (int i = 0; i < plan.repeats(); i++) {
            long t0 = System.nanoTime();
            body.run();
            double s = (System.nanoTime() - t0) / 1e9;
            times.add(s);
            total += s;
            if (total > plan.budgetSeconds() && times.size() >= 2) break;
        }
        return new Timing(times, tokens, activation[0]);
    }

    static int[] ids(Model m, int B, int T, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[B * T];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + rng.nextInt(m.config.vocabSize() - 3);
        return ids;
    }

    private static WeightedLogProbLoss loss(int[] flat, int B, int T, long seed) {
        SplittableRandom rng = new SplittableRandom(seed + 1);
        int[][] ids = new int[B][T];
        boolean[][] mask = new boolean[B][T];
        float[][] weights = new float[B][T];
        for (int b = 0; b < B; b++) {
            float adv = (float) rng.nextGaussian();
            ids[b] = Arrays.copyOfRange(flat, b * T, (b + 1) * T);
            Arrays.fill(mask[b], true);
            Arrays.fill(weights[b], adv / B);
        }
        return WeightedLogProbLoss.of(ids, mask, weights, null, null, 0);
    }

    /** B rows of T real tokens, each row a whole prompt. */
    private static TokenBatch batch(int[] ids, int B, int T) {
        int[] promptLengths = new int[B];
        Arrays.fill(promptLengths, T);
        return TokenBatch.of(B, T, ids, allValid(B * T), promptLengths);
    }

    static boolean[] allValid(int n) {
        boolean[] v = new boolean[n];
        Arrays.fill(v, true);
        return v;
    }

    private static int[] argmax(float[] logits, int B, int V) {
        int[] out = new int[B];
        for (int b = 0; b < B; b++) {
            int best = 0;
            for (int v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
            out[b] = best;
        }
        return out;
    }
}
