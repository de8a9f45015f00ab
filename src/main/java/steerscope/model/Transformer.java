package steerscope.model;

import static steerscope.tensor.Kernels.add;
import static steerscope.tensor.Kernels.axpy;
import static steerscope.tensor.Kernels.dot;
import static steerscope.tensor.Kernels.matmul;
import static steerscope.tensor.Kernels.matmulBackwardInput;
import static steerscope.tensor.Kernels.matmulBackwardWeight;
import static steerscope.tensor.Kernels.rmsnorm;
import static steerscope.tensor.Kernels.rmsnormBackward;

import steerscope.steer.Steering;
import steerscope.tensor.Kernels;
import steerscope.tensor.Mat;
import steerscope.tensor.Parallel;

/**
 * The decoder, forward and backward, one function per layer type, llm.c style. A forward call appends T new
 * tokens to each of the B rows of a {@link KVCache} and returns the final normalised hidden states; a training
 * forward also keeps what the backward needs ({@link Acts}). The steering vector of layer l is added to the
 * block's output, {@code blocks.{l}.hook_resid_post}, at the positions its {@link Steering} selects.
 *
 * <p>Buffers are row-major with one row per token: N = B·T rows of d_model for the residual stream.
 */
public final class Transformer {
    public final ModelConfig config;
    public final ModelWeights weights;
    public final HookNames hookNames;
    private final Rope rope;
    private final float attnScale;

    public Transformer(ModelConfig config, ModelWeights weights) {
        this.config = config;
        this.weights = weights;
        this.hookNames = new HookNames(config.nLayers());
        this.rope = new Rope(config);
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /** What one block's backward needs, saved by its forward (names say what each buffer holds). */
    public static final class Acts {
        float[] residPre;      // [N, d] block input
        float[] ln1, rstd1;    // [N, d], [N]  normalised input of attention, and 1/rms
        float[] q;             // [N, qDim] rotated queries
        float[] att;           // [B, H, T, T] attention probabilities
        float[] attnCat;       // [N, qDim] heads' outputs, concatenated (o_proj input)
        float[] residMid;      // [N, d] after the attention residual
        float[] ln2, rstd2;    // [N, d], [N]
        float[] gate, up, act; // [N, ff] gate and up projections, act = silu(gate) * up
        float[] attnOut, mlpOut; // [N, d] the two sublayers' outputs, kept only by an inference forward's reused Acts
    }

    /** buf when it has n floats, else a new array: an inference forward reuses one Acts from layer to layer. */
    private static float[] reuse(float[] buf, int n, boolean reuse) {
        return reuse && buf != null && buf.length == n ? buf : new float[n];
    }

    /** The result of a forward: final normalised hidden states, and for training everything the backward needs. */
    public static final class Forward {
        public final int batch, tokens;   // B and T of this call
        public final float[] normed;      // [N, d] ln_final output (logits = normed · lm_headᵀ)
        final float[] residFinal;         // [N, d] last block output (input of the final norm)
        final float[] rstdFinal;          // [N]
        final boolean[] steerAt;          // [N] vector added at this token
        final int[] ids;                  // [N]
        final Acts[] acts;                // per layer, or null for inference
        final float[][] checkpoints;      // per layer block input, when recomputing instead of storing
        final KVCache cache;
        final Steering steering;

        Forward(int batch, int tokens, float[] normed, float[] residFinal, float[] rstdFinal, boolean[] steerAt, int[] ids,
                Acts[] acts, float[][] checkpoints, KVCache cache, Steering steering) {
            this.batch = batch;
            this.tokens = tokens;
            this.normed = normed;
            this.residFinal = residFinal;
            this.rstdFinal = rstdFinal;
            this.steerAt = steerAt;
            this.ids = ids;
            this.acts = acts;
            this.checkpoints = checkpoints;
            this.cache = cache;
            this.steering = steering;
        }

        /**
         * Bytes held for the backward: the saved per-layer activations (or only the block inputs when recomputing),
         * the keys and values, and the final-norm buffers. This is the activation memory of a training step.
         */
        public long activationBytes() {
            long floats = (long) normed.length + (residFinal == null ? 0 : residFinal.length) + rstdFinal.length;
            if (acts != null) {
                for (Acts a : acts) {
                    for (float[] x : new float[][] {a.residPre, a.ln1, a.rstd1, a.q, a.att, a.attnCat, a.residMid, a.ln2, a.rstd2, a.gate, a.up, a.act}) {
                        if (x != null) floats += x.length;
                    }
                }
            }
            if (checkpoints != null) for (float[] x : checkpoints) floats += x.length;
            for (float[] x : cache.k) floats += x.length;
            for (float[] x : cache.v) floats += x.length;
            return floats * 4;
        }
    }

    /** How much a training forward keeps: everything, or only each block's input (recomputed in backward). */
    public enum Save { NONE, ALL, CHECKPOINT }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * Appends T tokens per row. ids and valid are [B, T] flattened; an invalid (padding) token is seen by no
     * other token and attends only to itself. Returns the final normalised hidden state of every new token.
     */
    public Forward forward(KVCache cache, int[] ids, boolean[] valid, int T, Steering steering, Hooks hooks, Save save) {
        ModelConfig c = config;
        int B = cache.batch, d = c.hiddenSize(), N = B * T, start = cache.length;
        if (start + T > cache.capacity) {
            throw new IllegalArgumentException("KV cache full: " + start + " + " + T + " > " + cache.capacity);
        }
        if (save != Save.NONE && start != 0) throw new IllegalArgumentException("training forward needs an empty cache");
        // positions, validity and where the vectors go
        int[] pos = new int[N];
        boolean[] steerAt = new boolean[N];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int n = b * T + t;
                boolean ok = valid[n];
                cache.valid[b * cache.capacity + start + t] = ok;
                if (ok) {
                    pos[n] = cache.nReal[b]++;
                    steerAt[n] = steering != null && steering.positions().applies(pos[n], cache.promptLen[b]);
                }
            }
        }
        cache.length = start + T;

        float[] resid = new float[N * d];
        for (int n = 0; n < N; n++) weights.embed.loadRow(ids[n], resid, n * d);
        if (hooks != null) hooks.fire(HookNames.EMBED, resid, B, T, d);

        Acts[] acts = save == Save.ALL ? new Acts[c.nLayers()] : null;
        float[][] checkpoints = save == Save.CHECKPOINT ? new float[c.nLayers()][] : null;
        Acts scratch = save == Save.ALL ? null : new Acts();
        for (int l = 0; l < c.nLayers(); l++) {
            Acts a = acts != null ? (acts[l] = new Acts()) : scratch;
            if (checkpoints != null) checkpoints[l] = resid.clone();
            block(l, cache, start, B, T, pos, steerAt, steering, resid, a, hooks, acts != null);
        }
        float[] normed = new float[N * d];
        float[] rstd = new float[N];
        rmsnorm(normed, resid, weights.finalNorm, rstd, N, d, c.rmsNormEps());
        if (hooks != null) hooks.fire(HookNames.LN_FINAL, normed, B, T, d);
        return new Forward(B, T, normed, save == Save.NONE ? null : resid, rstd, steerAt, ids.clone(), acts, checkpoints,
                cache, steering);
    }

    /** One decoder block on the residual stream, in place. keepAll: keep the input copy in acts. */
    private void block(int l, KVCache cache, int start, int B, int T, int[] pos, boolean[] steerAt, Steering steering,
                       float[] resid, Acts a, Hooks hooks, boolean keepAll) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        HookNames hn = hookNames;
        int N = B * T, d = c.hiddenSize(), ff = c.intermediateSize();
        if (hooks != null) hooks.fire(hn.residPre[l], resid, B, T, d);
        a.residPre = keepAll ? resid.clone() : resid;
        // Without hooks nothing outside this call sees the buffers, so an inference forward overwrites the previous
        // layer's instead of allocating (and zeroing) ~10 [N, d]-sized arrays per layer: less garbage, smaller heap
        boolean reuse = !keepAll && hooks == null;

        // attention
        a.ln1 = reuse(a.ln1, N * d, reuse);
        a.rstd1 = reuse(a.rstd1, N, reuse);
        rmsnorm(a.ln1, resid, w.attnNorm, a.rstd1, N, d, c.rmsNormEps());
        a.attnCat = attention(l, cache, start, B, T, pos, a, hooks);
        float[] attnOut = reuse(a.attnOut, N * d, reuse);
        if (reuse) a.attnOut = attnOut; // a training forward must not keep it alive
        matmul(attnOut, a.attnCat, N, w.wo, null);
        if (hooks != null) hooks.fire(hn.attnOut[l], attnOut, B, T, d);
        add(resid, 0, attnOut, 0, N * d);
        if (hooks != null) hooks.fire(hn.residMid[l], resid, B, T, d);
        a.residMid = keepAll ? resid.clone() : resid;

        // MLP: down(silu(gate(x)) * up(x))
        a.ln2 = reuse(a.ln2, N * d, reuse);
        a.rstd2 = reuse(a.rstd2, N, reuse);
        rmsnorm(a.ln2, resid, w.mlpNorm, a.rstd2, N, d, c.rmsNormEps());
        mlp(w, a, N, ff, reuse);
        if (hooks != null) hooks.fire(hn.mlpPost[l], a.act, B, T, ff);
        float[] mlpOut = reuse(a.mlpOut, N * d, reuse);
        if (reuse) a.mlpOut = mlpOut;
        matmul(mlpOut, a.act, N, w.wDown, w.bDown);
        if (hooks != null) hooks.fire(hn.mlpOut[l], mlpOut, B, T, d);
        add(resid, 0, mlpOut, 0, N * d);

        // the steering vector, at hook_resid_post
        if (steering != null && steering.active(l)) {
            float[] v = steering.vectors().get(l);
            for (int n = 0; n < N; n++) if (steerAt[n]) axpy(steering.scale(), v, 0, resid, n * d, d);
        }
        if (hooks != null) hooks.fire(hn.residPost[l], resid, B, T, d);
    }

    private void mlp(ModelWeights.Layer w, Acts a, int N, int ff, boolean reuse) {
        a.gate = reuse(a.gate, N * ff, reuse);
        a.up = reuse(a.up, N * ff, reuse);
        matmul(a.gate, a.ln2, N, w.wGate, null);
        matmul(a.up, a.ln2, N, w.wUp, null);
        float[] act = a.act = reuse(a.act, N * ff, reuse), gate = a.gate, up = a.up;
        // an exp per element: [N, ff] is as many as a matmul's outputs, so it is split over the threads too
        Parallel.forRange(N, 8, (n0, n1) -> {
            Kernels.siluMul(act, gate, up, n0 * ff, n1 * ff);
        });
    }

    /**
     * q/k/v projections, RoPE, causal attention over every filled slot of the cache. Writes the new keys and
     * values into the cache and returns the concatenated head outputs [N, qDim].
     */
    private float[] attention(int l, KVCache cache, int start, int B, int T, int[] pos, Acts a, Hooks hooks) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        int N = B * T, qDim = c.qDim(), kvDim = c.kvDim(), H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim();
        int cap = cache.capacity, S = start + T;
        float[] q = new float[N * qDim], k = new float[N * kvDim], v = new float[N * kvDim];
        matmul(q, a.ln1, N, w.wq, w.bq);
        matmul(k, a.ln1, N, w.wk, w.bk);
        matmul(v, a.ln1, N, w.wv, w.bv);
        if (hooks != null) {
            hooks.fire(hookNames.attnQ[l], q, B, T, H, hd);
            hooks.fire(hookNames.attnK[l], k, B, T, KVH, hd);
            hooks.fire(hookNames.attnV[l], v, B, T, KVH, hd);
        }
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                rope.rotate(q, n * qDim, H, pos[n], false);
                rope.rotate(k, n * kvDim, KVH, pos[n], false);
            }
        });
        float[] kc = cache.k[l], vc = cache.v[l];
        for (int b = 0; b < B; b++) {
            System.arraycopy(k, b * T * kvDim, kc, (b * cap + start) * kvDim, T * kvDim);
            System.arraycopy(v, b * T * kvDim, vc, (b * cap + start) * kvDim, T * kvDim);
        }
        a.q = q;
        float[] att = new float[B * H * T * S];
        float[] out = new float[N * qDim];
        int group = H / KVH;
        Parallel.forEach(B * H, bh -> {
            int b = bh / H, h = bh % H, kvh = h / group;
            for (int t = 0; t < T; t++) {
                int row = ((b * H + h) * T + t) * S;
                int qo = (b * T + t) * qDim + h * hd;
                int self = start + t;
                boolean selfValid = cache.valid[b * cap + self];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= self; j++) {
                    boolean visible = selfValid ? cache.valid[b * cap + j] : j == self;
                    if (!visible) {
                        att[row + j] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    float s = dot(q, qo, kc, (b * cap + j) * kvDim + kvh * hd, hd) * attnScale;
                    att[row + j] = s;
                    max = Math.max(max, s);
                }
                // masked scores are -inf, so e^(s - max) is exactly 0 for them; summed in slot order
                Kernels.expShifted(att, row, self + 1, max);
                double sum = 0;
                for (int j = 0; j <= self; j++) sum += att[row + j];
                float inv = (float) (1.0 / sum);
                int oo = (b * T + t) * qDim + h * hd;
                for (int j = 0; j <= self; j++) att[row + j] *= inv;
                Kernels.weightedRows(att, row, self + 1, vc, b * cap * kvDim + kvh * hd, kvDim, out, oo, hd);
            }
        });
        if (hooks != null) {
            hooks.fire(hookNames.attnPattern[l], att, B, H, T, S);
            hooks.fire(hookNames.attnZ[l], out, B, T, H, hd);
        }
        a.att = att;
        return out;
    }

    /** Logits [rows.length, vocab] of the given token rows of a forward. */
    public float[] logits(Forward f, int[] rows) {
        int d = config.hiddenSize();
        float[] x = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(f.normed, rows[i] * d, x, i * d, d);
        float[] out = new float[rows.length * config.vocabSize()];
        matmul(out, x, rows.length, weights.lmHead, null);
        return out;
    }

    /** The next-token logits after one whole sequence (its last position), with optional steering: [vocab]. */
    public float[] nextTokenLogits(int[] ids, Steering steering) {
        KVCache cache = new KVCache(config, 1, ids.length);
        cache.setPromptLengths(new int[] {ids.length});
        boolean[] valid = new boolean[ids.length];
        java.util.Arrays.fill(valid, true);
        return logits(forward(cache, ids, valid, ids.length, steering, null, Save.NONE), new int[] {ids.length - 1});
    }

    /** Logits of every token row of a forward: [B·T, vocab]. */
    public float[] logits(Forward f) {
        float[] out = new float[f.batch * f.tokens * config.vocabSize()];
        matmul(out, f.normed, f.batch * f.tokens, weights.lmHead, null);
        return out;
    }

    // ----------------------------------------------------------------------------------------------- backward

    /**
     * Backpropagates a token loss through a training forward (made with {@link Save#ALL} or
     * {@link Save#CHECKPOINT}). Vector gradients accumulate into grads.vectors for the layers that add a
     * vector; weight gradients accumulate too when grads.full. Returns the loss; logprobs (when not null)
     * receives log p(target_i) of every scored token.
     */
    public double backward(Forward f, TokenLoss loss, Gradients grads, float[] logprobs) {
        if (f.residFinal == null) throw new IllegalArgumentException("backward needs a training forward (Save.ALL or CHECKPOINT)");
        ModelConfig c = config;
        int d = c.hiddenSize(), N = f.batch * f.tokens;
        float[] dNormed = new float[N * d];
        double total = lossHead(f, loss, grads, dNormed, logprobs);

        float[] dResid = new float[N * d];
        rmsnormBackward(dResid, grads.full ? grads.finalNorm : null, dNormed, f.residFinal, weights.finalNorm, f.rstdFinal, N, d);
        for (int l = c.nLayers() - 1; l >= 0; l--) {
            Acts a;
            if (f.acts != null) {
                a = f.acts[l];
            } else { // recompute this block from its saved input
                a = new Acts();
                float[] resid = f.checkpoints[l].clone();
                int[] pos = positionsOf(f);
                KVCache cache = f.cache;
                block(l, cache, 0, f.batch, f.tokens, pos, f.steerAt, f.steering, resid, a, null, true);
                a.residPre = f.checkpoints[l];
            }
            blockBackward(l, f, a, dResid, grads);
        }
        if (grads.full) { // embedding: scatter-add the gradient of each token's row
            for (int n = 0; n < N; n++) axpy(1f, dResid, n * d, grads.embed, f.ids[n] * d, d);
        }
        return total;
    }

    private int[] positionsOf(Forward f) {
        // positions of a training forward: real-token index within each row
        int B = f.batch, T = f.tokens;
        int[] pos = new int[B * T];
        for (int b = 0; b < B; b++) {
            int r = 0;
            for (int t = 0; t < T; t++) if (f.cache.valid[b * f.cache.capacity + t]) pos[b * T + t] = r++;
        }
        return pos;
    }

    /** Log-softmax of the scored rows, in chunks so the [rows, vocab] logits stay small; fills dNormed. */
    private double lossHead(Forward f, TokenLoss loss, Gradients grads, float[] dNormed, float[] logprobs) {
        int d = config.hiddenSize(), V = config.vocabSize();
        int count = loss.count();
        // rows per chunk: as many as fit 64 MiB of logits (104 for a 152k vocabulary), 32 to 256; each chunk reads
        // the whole lm_head twice (logits, then their input gradient), so few large chunks stream it fewer times
        final int chunk = Math.max(32, Math.min(256, (int) ((64L << 20) / (4L * V)) / 4 * 4));
        double total = 0;
        double[] rowLoss = new double[chunk];
        for (int c0 = 0; c0 < count; c0 += chunk) {
            int n = Math.min(chunk, count - c0);
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = loss.row(c0 + i);
            float[] x = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(f.normed, rows[i] * d, x, i * d, d);
            float[] logits = new float[n * V];
            matmul(logits, x, n, weights.lmHead, null);
            // rows in parallel (a softmax over a 150k vocabulary is as long as a matmul row block); the loss terms
            // are summed afterwards in row order, so the total does not depend on the thread count
            final int base = c0;
            Parallel.forEach(n, i -> {
                float[] gr = new float[1];
                int o = i * V, target = loss.target(base + i);
                float lse = Kernels.logSumExp(logits, o, V);
                float logp = logits[o + target] - lse;
                if (logprobs != null) logprobs[base + i] = logp;
                rowLoss[i] = loss.lossAndGrad(base + i, logp, gr);
                // d logp / d logits = onehot(target) − softmax
                float gi = gr[0];
                Kernels.expShifted(logits, o, V, lse);
                Kernels.scale(logits, o, V, -gi);
                logits[o + target] += gi;
            });
            for (int i = 0; i < n; i++) total += rowLoss[i];
            float[] dx = new float[n * d];
            matmulBackwardInput(dx, logits, n, weights.lmHead, false);
            for (int i = 0; i < n; i++) add(dNormed, rows[i] * d, dx, i * d, d);
            if (grads.full) {
                float[] dHead = grads.lmHead != null ? grads.lmHead : grads.embed;
                matmulBackwardWeight(dHead, logits, x, n, V, d);
            }
        }
        return total;
    }

    /** Backward of one block. dResid holds dL/d(resid_post) on entry and dL/d(resid_pre) on return. */
    private void blockBackward(int l, Forward f, Acts a, float[] dResid, Gradients grads) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        Gradients.Layer g = grads.full ? grads.layers[l] : null;
        int B = f.batch, T = f.tokens, N = B * T, d = c.hiddenSize(), ff = c.intermediateSize();
        int qDim = c.qDim(), kvDim = c.kvDim();

        // steering vector: resid_post = ... + scale · v at the selected positions
        if (f.steering != null && f.steering.active(l)) {
            float[] dv = grads.vectors[l];
            for (int n = 0; n < N; n++) if (f.steerAt[n]) axpy(f.steering.scale(), dResid, n * d, dv, 0, d);
        }

        // MLP: dResid flows on unchanged and into the MLP output
        float[] dAct = new float[N * ff];
        matmulBackwardInput(dAct, dResid, N, w.wDown, false);
        if (g != null) matmulBackwardWeight(g.wDown, dResid, a.act, N, d, ff);
        float[] dGate = new float[N * ff], dUp = new float[N * ff], gate = a.gate, up = a.up;
        Parallel.forRange(N, 8, (n0, n1) -> {
            Kernels.siluMulBackward(dGate, dUp, dAct, gate, up, n0 * ff, n1 * ff);
        });
        float[] dLn2 = new float[N * d];
        matmulBackwardInput(dLn2, dGate, N, w.wGate, false);
        matmulBackwardInput(dLn2, dUp, N, w.wUp, true);
        if (g != null) {
            matmulBackwardWeight(g.wGate, dGate, a.ln2, N, ff, d);
            matmulBackwardWeight(g.wUp, dUp, a.ln2, N, ff, d);
        }
        rmsnormBackward(dResid, g != null ? g.mlpNorm : null, dLn2, a.residMid, w.mlpNorm, a.rstd2, N, d);

        // attention output projection
        float[] dCat = new float[N * qDim];
        matmulBackwardInput(dCat, dResid, N, w.wo, false);
        if (g != null) matmulBackwardWeight(g.wo, dResid, a.attnCat, N, d, qDim);
        float[] dq = new float[N * qDim], dk = new float[N * kvDim], dv = new float[N * kvDim];
        attentionBackward(l, f, a, dCat, dq, dk, dv);
        int[] pos = positionsOf(f);
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                rope.rotate(dq, n * qDim, c.nHeads(), pos[n], true);
                rope.rotate(dk, n * kvDim, c.nKvHeads(), pos[n], true);
            }
        });
        float[] dLn1 = new float[N * d];
        matmulBackwardInput(dLn1, dq, N, w.wq, false);
        matmulBackwardInput(dLn1, dk, N, w.wk, true);
        matmulBackwardInput(dLn1, dv, N, w.wv, true);
        if (g != null) {
            matmulBackwardWeight(g.wq, dq, a.ln1, N, qDim, d);
            matmulBackwardWeight(g.wk, dk, a.ln1, N, kvDim, d);
            matmulBackwardWeight(g.wv, dv, a.ln1, N, kvDim, d);
            if (g.bq != null) {
                for (int n = 0; n < N; n++) {
                    add(g.bq, 0, dq, n * qDim, qDim);
                    add(g.bk, 0, dk, n * kvDim, kvDim);
                    add(g.bv, 0, dv, n * kvDim, kvDim);
                }
            }
        }
        rmsnormBackward(dResid, g != null ? g.attnNorm : null, dLn1, a.residPre, w.attnNorm, a.rstd1, N, d);
    }

    /**
     * Backward of softmax attention for a training forward (cache of capacity T, filled from slot 0).
     * Work is split by (row, KV head) so the heads sharing a key/value head write dk/dv from one thread.
     */
    private void attentionBackward(int l, Forward f, Acts a, float[] dCat, float[] dq, float[] dk, float[] dv) {
        ModelConfig c = config;
        int B = f.batch, T = f.tokens, H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim();
        int qDim = c.qDim(), kvDim = c.kvDim(), group = H / KVH;
        float[] kc = f.cache.k[l], vc = f.cache.v[l], att = a.att, q = a.q;
        Parallel.forEach(B * KVH, bk -> {
            int b = bk / KVH, kvh = bk % KVH;
            float[] dP = new float[T], dS = new float[T];
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int t = 0; t < T; t++) {
                    int row = ((b * H + h) * T + t) * T;
                    int oo = (b * T + t) * qDim + h * hd;
                    double sum = 0;
                    for (int j = 0; j <= t; j++) {
                        float p = att[row + j];
                        if (p == 0f) {
                            dP[j] = 0;
                            continue;
                        }
                        int kvo = (b * T + j) * kvDim + kvh * hd;
                        dP[j] = dot(dCat, oo, vc, kvo, hd);
                        sum += p * dP[j];
                        axpy(p, dCat, oo, dv, kvo, hd); // dV_j += p_j dO
                    }
                    for (int j = 0; j <= t; j++) {
                        float p = att[row + j];
                        dS[j] = p == 0f ? 0f : p * (dP[j] - (float) sum) * attnScale;
                        if (dS[j] != 0f) axpy(dS[j], q, oo, dk, (b * T + j) * kvDim + kvh * hd, hd); // dK_j += dS Q_t
                    }
                    Kernels.weightedRows(dS, 0, t + 1, kc, b * T * kvDim + kvh * hd, kvDim, dq, oo, hd); // dQ_t += Σ dS K_j
                }
            }
        });
    }

    /** The weight matrix a checkpoint name refers to (for tests and analyses). */
    public Mat matrix(String name) {
        Mat[] found = {null};
        weights.forEachMat((n, m) -> {
            if (n.equals(name)) found[0] = m;
        });
        return found[0];
    }
}
