package steerscope.model;

import static steerscope.tensor.Kernels.add;
import static steerscope.tensor.Kernels.axpy;
import static steerscope.tensor.Kernels.dot;
import static steerscope.tensor.Kernels.matmul;
import static steerscope.tensor.Kernels.matmulBackwardInput;
import static steerscope.tensor.Kernels.matmulBackwardWeight;
import static steerscope.tensor.Kernels.rmsnorm;
import static steerscope.tensor.Kernels.rmsnormBackward;

import steerscope.tensor.Kernels;
import steerscope.tensor.Parallel;

/**
 * The decoder, forward and backward, llm.c style: each layer's forward beside its backward. A pass appends the
 * tokens of a {@link TokenBatch} to the rows of a {@link KVCache} and returns the final normalised hidden states;
 * a training pass also keeps what the backward needs ({@link Acts}). The steering vector of layer l is added to
 * the block's output, {@code blocks.{l}.hook_resid_post}, at the positions its {@link Steering} selects.
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

    /** How much a training forward keeps: everything, or only each block's input (the block is recomputed in backward). */
    public enum Save { NONE, ALL, BLOCK_INPUTS }

    /**
     * What every block of one pass shares: T new tokens per row written from slot {@code start} of the cache, their
     * RoPE positions and whether the vector goes at each [N]. keep: the block keeps copies for a backward.
     */
    private record Pass(KVCache cache, int start, int B, int T, int[] pos, boolean[] steerAt, Steering steering, Hooks hooks,
                        boolean keep) {
        int N() {
            return B * T;
        }
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
        float[] steerIn;       // [N, d] block output before an adaptive vector's add (what its scale reads), or null
    }

    /** buf when it has n floats, else a new array: an inference forward reuses one Acts from layer to layer. */
    private static float[] reuse(float[] buf, int n, boolean reuse) {
        return reuse && buf != null && buf.length == n ? buf : new float[n];
    }

    /** The result of a pass: final normalised hidden states, and for training everything the backward needs. */
    public static final class Forward {
        public final int batch, tokens;   // B and T of this call
        public final float[] normed;      // [N, d] ln_final output (logits = normed · lm_headᵀ)
        final float[] residFinal;         // [N, d] last block output (input of the final norm)
        final float[] rstdFinal;          // [N]
        final int[] ids;                  // [N]
        final Acts[] acts;                // per layer, or null
        final float[][] blockInputs;      // per layer, with Save.BLOCK_INPUTS
        private final Pass pass;

        private Forward(Pass pass, float[] normed, float[] residFinal, float[] rstdFinal, int[] ids, Acts[] acts, float[][] blockInputs) {
            this.batch = pass.B;
            this.tokens = pass.T;
            this.normed = normed;
            this.residFinal = residFinal;
            this.rstdFinal = rstdFinal;
            this.ids = ids;
            this.acts = acts;
            this.blockInputs = blockInputs;
            this.pass = pass;
        }

        /** Whether the vectors were added at token row n. */
        boolean steeredAt(int n) {
            return pass.steerAt[n];
        }

        /**
         * Bytes held for the backward: the saved per-layer activations (or only the block inputs when recomputing),
         * the keys and values, and the final-norm buffers. This is the activation memory of a training step.
         */
        public long activationBytes() {
            long floats = (long) normed.length + (residFinal == null ? 0 : residFinal.length) + rstdFinal.length;
            if (acts != null) {
                for (Acts a : acts) {
                    for (float[] x : new float[][] {a.residPre, a.ln1, a.rstd1, a.q, a.att, a.attnCat, a.residMid, a.ln2, a.rstd2, a.gate, a.up, a.act, a.steerIn}) {
                        if (x != null) floats += x.length;
                    }
                }
            }
            if (blockInputs != null) for (float[] x : blockInputs) floats += x.length;
            for (float[] x : pass.cache.k) floats += x.length;
            for (float[] x : pass.cache.v) floats += x.length;
            return floats * 4;
        }
    }

    // ---------------------------------------------------------------------------------------------- entry points

    /** One whole pass over a batch, in a cache of its own (one-shot inference, or training with save ≠ NONE). */
    public Forward forward(TokenBatch batch, Steering steering, Hooks hooks, Save save) {
        return pass(new KVCache(config, batch.rows(), batch.tokens()), batch, steering, hooks, save);
    }

    /**
     * Appends the batch's tokens to the cache's rows (a prefill into an empty cache, then decode steps of one token
     * per row); an invalid (padding) token is seen by no other token and attends only to itself.
     */
    public Forward extend(KVCache cache, TokenBatch next, Steering steering, Hooks hooks) {
        return pass(cache, next, steering, hooks, Save.NONE);
    }

    private Forward pass(KVCache cache, TokenBatch batch, Steering steering, Hooks hooks, Save save) {
        ModelConfig c = config;
        int B = cache.batch, T = batch.tokens(), d = c.hiddenSize(), N = B * T, start = cache.length;
        if (batch.rows() != B) throw new IllegalArgumentException(batch.rows() + " rows for a cache of " + B);
        if (start + T > cache.capacity) {
            throw new IllegalArgumentException("KV cache full: " + start + " + " + T + " > " + cache.capacity);
        }
        // positions (each row's count of real tokens), validity and where the vectors go
        int[] pos = new int[N];
        boolean[] steerAt = new boolean[N];
        for (int b = 0; b < B; b++) {
            int next = cache.realTokens(b);
            for (int t = 0; t < T; t++) {
                int n = b * T + t;
                boolean ok = batch.valid()[n];
                cache.valid[b * cache.capacity + start + t] = ok;
                if (ok) {
                    pos[n] = next++;
                    steerAt[n] = steering != null && steering.positions().applies(pos[n], batch.promptLengths()[b]);
                }
            }
        }
        cache.length = start + T;
        Pass p = new Pass(cache, start, B, T, pos, steerAt, steering, hooks, save == Save.ALL);

        float[] resid = new float[N * d];
        for (int n = 0; n < N; n++) weights.embed.loadRow(batch.ids()[n], resid, n * d);
        if (hooks != null) hooks.fire(HookNames.EMBED, resid, B, T, d);

        Acts[] acts = save == Save.ALL ? new Acts[c.nLayers()] : null;
        float[][] blockInputs = save == Save.BLOCK_INPUTS ? new float[c.nLayers()][] : null;
        Acts scratch = save == Save.ALL ? null : new Acts();
        for (int l = 0; l < c.nLayers(); l++) {
            Acts a = acts != null ? (acts[l] = new Acts()) : scratch;
            if (blockInputs != null) blockInputs[l] = resid.clone();
            block(l, p, resid, a);
        }
        float[] normed = new float[N * d];
        float[] rstd = new float[N];
        rmsnorm(normed, resid, weights.finalNorm, rstd, N, d, c.rmsNormEps());
        if (hooks != null) hooks.fire(HookNames.LN_FINAL, normed, B, T, d);
        return new Forward(p, normed, save == Save.NONE ? null : resid, rstd, batch.ids().clone(), acts, blockInputs);
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

    /** Logits of every token row of a forward: [B·T, vocab]. */
    public float[] logits(Forward f) {
        float[] out = new float[f.batch * f.tokens * config.vocabSize()];
        matmul(out, f.normed, f.batch * f.tokens, weights.lmHead, null);
        return out;
    }

    /** The next-token logits after one whole sequence (its last position), with optional steering: [vocab]. */
    public float[] nextTokenLogits(int[] ids, Steering steering) {
        return logits(forward(TokenBatch.single(ids, ids.length), steering, null, Save.NONE), new int[] {ids.length - 1});
    }

    /**
     * log p(targets[i]) under the logits of token row rows[i] of a forward, without a backward: the logits are made
     * a chunk of rows at a time ({@link #headChunk}), so [rows, vocab] is never held whole.
     */
    public float[] logprobs(Forward f, int[] rows, int[] targets) {
        int V = config.vocabSize(), chunk = headChunk();
        float[] out = new float[rows.length];
        for (int c0 = 0; c0 < rows.length; c0 += chunk) {
            int n = Math.min(chunk, rows.length - c0), base = c0;
            float[] logits = new float[n * V];
            matmul(logits, gatherRows(f.normed, rows, c0, n), n, weights.lmHead, null);
            Parallel.forEach(n, i -> out[base + i] = logprob(logits, i * V, V, targets[base + i]));
        }
        return out;
    }

    /** log softmax(logits[off, off + vocab))[token]. */
    public static float logprob(float[] logits, int off, int vocab, int token) {
        return logits[off + token] - Kernels.logSumExp(logits, off, vocab);
    }

    /**
     * Rows of logits per chunk of the head (loss and log-probs): as many as fit 64 MiB (104 for a 152k vocabulary),
     * 32 to 256; the loss's chunk reads the whole lm_head twice (logits, then their input gradient), so few large
     * chunks stream it fewer times.
     */
    private int headChunk() {
        return Math.max(32, Math.min(256, (int) ((64L << 20) / (4L * config.vocabSize())) / 4 * 4));
    }

    /** Rows rows[from .. from+n) of a [*, d] buffer, packed: [n, d]. */
    private float[] gatherRows(float[] src, int[] rows, int from, int n) {
        int d = config.hiddenSize();
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) System.arraycopy(src, rows[from + i] * d, x, i * d, d);
        return x;
    }

    /**
     * Backpropagates a token loss through a training forward (made with {@link Save#ALL} or
     * {@link Save#BLOCK_INPUTS}). Vector gradients accumulate into grads.vectors for the layers that add a
     * vector; weight gradients accumulate too when grads.full. Returns the loss; logprobs (when not null)
     * receives log p(target_i) of every scored token.
     */
    public double backward(Forward f, TokenLoss loss, Gradients grads, float[] logprobs) {
        if (f.residFinal == null) throw new IllegalArgumentException("backward needs a training forward (Save.ALL or BLOCK_INPUTS)");
        ModelConfig c = config;
        int d = c.hiddenSize(), N = f.batch * f.tokens;
        float[] dNormed = new float[N * d];
        double total = lossHead(f, loss, grads, dNormed, logprobs);

        float[] dResid = new float[N * d];
        rmsnormBackward(dResid, grads.full ? grads.finalNorm : null, dNormed, f.residFinal, weights.finalNorm, f.rstdFinal, N, d);
        Pass recompute = f.acts != null ? null
                : new Pass(f.pass.cache, 0, f.batch, f.tokens, f.pass.pos, f.pass.steerAt, f.pass.steering, null, true);
        // Without weight gradients, nothing below the lowest steered layer's vector needs a gradient: stop there.
        int lowest = grads.full ? 0 : lowestSteeredLayer(f.pass.steering);
        for (int l = c.nLayers() - 1; l >= lowest; l--) {
            Acts a;
            if (f.acts != null) {
                a = f.acts[l];
            } else { // recompute this block from its saved input
                a = new Acts();
                block(l, recompute, f.blockInputs[l].clone(), a);
                a.residPre = f.blockInputs[l];
            }
            if (l == lowest && !grads.full) {
                addVectorBackward(l, f.pass, a, dResid, grads);
            } else {
                blockBackward(l, f, a, dResid, grads);
            }
        }
        if (grads.full) { // embedding: scatter-add the gradient of each token's row
            for (int n = 0; n < N; n++) axpy(1f, dResid, n * d, grads.embed, f.ids[n] * d, d);
        }
        return total;
    }

    /** The lowest layer whose vector the steering adds, or the layer count when it adds none. */
    private int lowestSteeredLayer(Steering s) {
        if (s != null) for (int l = 0; l < config.nLayers(); l++) if (s.active(l)) return l;
        return config.nLayers();
    }

    /** Log-softmax of the scored rows, a chunk at a time ({@link #headChunk}); fills dNormed. */
    private double lossHead(Forward f, TokenLoss loss, Gradients grads, float[] dNormed, float[] logprobs) {
        int d = config.hiddenSize(), V = config.vocabSize();
        int count = loss.count();
        final int chunk = headChunk();
        double total = 0;
        double[] rowLoss = new double[chunk];
        int[] rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = loss.row(i);
        for (int c0 = 0; c0 < count; c0 += chunk) {
            int n = Math.min(chunk, count - c0);
            float[] x = gatherRows(f.normed, rows, c0, n);
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
            for (int i = 0; i < n; i++) add(dNormed, rows[c0 + i] * d, dx, i * d, d);
            if (grads.full) {
                float[] dHead = grads.lmHead != null ? grads.lmHead : grads.embed;
                matmulBackwardWeight(dHead, logits, x, n, V, d);
            }
        }
        return total;
    }

    // ------------------------------------------------------------------------------ block: forward, then backward

    /** One decoder block on the residual stream, in place: attention, MLP, then the steering vector. */
    private void block(int l, Pass p, float[] resid, Acts a) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        Hooks hooks = p.hooks;
        int N = p.N(), d = c.hiddenSize();
        if (hooks != null) hooks.fire(hookNames.residPre[l], resid, p.B, p.T, d);
        a.residPre = p.keep ? resid.clone() : resid;
        // Without hooks nothing outside this call sees the buffers, so an inference forward overwrites the previous
        // layer's instead of allocating (and zeroing) ~10 [N, d]-sized arrays per layer: less garbage, smaller heap
        boolean reuse = !p.keep && hooks == null;

        a.ln1 = reuse(a.ln1, N * d, reuse);
        a.rstd1 = reuse(a.rstd1, N, reuse);
        rmsnorm(a.ln1, resid, w.attnNorm, a.rstd1, N, d, c.rmsNormEps());
        add(resid, 0, attention(l, p, a, reuse), 0, N * d);
        if (hooks != null) hooks.fire(hookNames.residMid[l], resid, p.B, p.T, d);
        a.residMid = p.keep ? resid.clone() : resid;

        a.ln2 = reuse(a.ln2, N * d, reuse);
        a.rstd2 = reuse(a.rstd2, N, reuse);
        rmsnorm(a.ln2, resid, w.mlpNorm, a.rstd2, N, d, c.rmsNormEps());
        add(resid, 0, mlp(l, p, a, reuse), 0, N * d);

        addVector(l, p, resid, a);
        if (hooks != null) hooks.fire(hookNames.residPost[l], resid, p.B, p.T, d);
    }

    /** Backward of one block. dResid holds dL/d(resid_post) on entry and dL/d(resid_pre) on return. */
    private void blockBackward(int l, Forward f, Acts a, float[] dResid, Gradients grads) {
        // forward: resid += attention(ln1(resid)); resid += mlp(ln2(resid)); resid += scale · v at the steered tokens
        ModelWeights.Layer w = weights.layers[l];
        Gradients.Layer g = grads.full ? grads.layers[l] : null;
        int N = f.batch * f.tokens, d = config.hiddenSize();
        addVectorBackward(l, f.pass, a, dResid, grads);
        // each residual branch: dResid flows on unchanged and into the branch's output
        float[] dLn2 = mlpBackward(l, a, dResid, g, N);
        rmsnormBackward(dResid, g != null ? g.mlpNorm : null, dLn2, a.residMid, w.mlpNorm, a.rstd2, N, d);
        float[] dLn1 = attentionBackward(l, f.pass, a, dResid, g);
        rmsnormBackward(dResid, g != null ? g.attnNorm : null, dLn1, a.residPre, w.attnNorm, a.rstd1, N, d);
    }

    // ------------------------------------------------------------- the steering vector at hook_resid_post, and its gradient

    /**
     * resid += scale · v_l at the tokens the steering selects: the vector of layer l, after block l. With an
     * adaptive scale, resid += scale · s_l(h) · v_l, s_l(h) = a_l·h + b_l read from each token's h = resid before
     * the add (a training forward keeps h in a.steerIn for the backward).
     */
    private void addVector(int l, Pass p, float[] resid, Acts a) {
        Steering s = p.steering;
        if (s == null || !s.active(l)) return;
        int d = config.hiddenSize();
        float[] v = s.vectors().get(l);
        AdaptiveScale ad = s.adaptive();
        if (ad != null && p.keep) a.steerIn = resid.clone();
        for (int n = 0; n < p.N(); n++) {
            if (!p.steerAt[n]) continue;
            float c = ad == null ? s.scale() : s.scale() * ad.at(l, resid, n * d);
            axpy(c, v, 0, resid, n * d, d);
        }
    }

    /**
     * The gradient of {@link #addVector}: dVector_l += scale · dResid at the steered tokens. With an adaptive
     * scale, per steered token (g = dResid, h = a.steerIn): dv_l += scale·s·g; ds = scale·(g·v_l); da_l += ds·h;
     * db_l += ds; and g += ds·a_l, the path through s depending on h.
     */
    private void addVectorBackward(int l, Pass p, Acts a, float[] dResid, Gradients grads) {
        // forward: resid += scale · v_l (adaptive: scale · (a_l·h + b_l) · v_l) at the tokens the steering selects
        Steering s = p.steering;
        if (s == null || !s.active(l)) return;
        int d = config.hiddenSize();
        float[] dVector = grads.vectors[l];
        AdaptiveScale ad = s.adaptive();
        if (ad == null) {
            for (int n = 0; n < p.N(); n++) if (p.steerAt[n]) axpy(s.scale(), dResid, n * d, dVector, 0, d);
            return;
        }
        float[] v = s.vectors().get(l), h = a.steerIn, dA = grads.scaleA[l];
        for (int n = 0; n < p.N(); n++) {
            if (!p.steerAt[n]) continue;
            float ds = s.scale() * dot(dResid, n * d, v, 0, d);
            axpy(s.scale() * ad.at(l, h, n * d), dResid, n * d, dVector, 0, d);
            axpy(ds, h, n * d, dA, 0, d);
            grads.scaleB[l] += ds;
            axpy(ds, ad.a[l], 0, dResid, n * d, d);
        }
    }

    // ------------------------------------------------------------------------- MLP: forward, then backward

    /** down(silu(gate(x)) * up(x)) of x = a.ln2: [N, d] (a buffer reused across layers when reuse). */
    private float[] mlp(int l, Pass p, Acts a, boolean reuse) {
        ModelWeights.Layer w = weights.layers[l];
        int N = p.N(), d = config.hiddenSize(), ff = config.intermediateSize();
        a.gate = reuse(a.gate, N * ff, reuse);
        a.up = reuse(a.up, N * ff, reuse);
        matmul(a.gate, a.ln2, N, w.wGate, null);
        matmul(a.up, a.ln2, N, w.wUp, null);
        float[] act = a.act = reuse(a.act, N * ff, reuse), gate = a.gate, up = a.up;
        // an exp per element: [N, ff] is as many as a matmul's outputs, so it is split over the threads too
        Parallel.forRange(N, 8, (n0, n1) -> {
            Kernels.siluMul(act, gate, up, n0 * ff, n1 * ff);
        });
        if (p.hooks != null) p.hooks.fire(hookNames.mlpPost[l], act, p.B, p.T, ff);
        float[] out = reuse(a.mlpOut, N * d, reuse);
        if (reuse) a.mlpOut = out; // a training forward must not keep it alive
        matmul(out, act, N, w.wDown, w.bDown);
        if (p.hooks != null) p.hooks.fire(hookNames.mlpOut[l], out, p.B, p.T, d);
        return out;
    }

    /** Backward of {@link #mlp}: from dL/d(output) [N, d], returns dL/d(ln2) and accumulates the weight gradients into g. */
    private float[] mlpBackward(int l, Acts a, float[] dOut, Gradients.Layer g, int N) {
        // forward: out = down(silu(gate(x)) * up(x)), x = ln2
        ModelWeights.Layer w = weights.layers[l];
        int d = config.hiddenSize(), ff = config.intermediateSize();
        float[] dAct = new float[N * ff];
        matmulBackwardInput(dAct, dOut, N, w.wDown, false);
        if (g != null) matmulBackwardWeight(g.wDown, dOut, a.act, N, d, ff);
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
        return dLn2;
    }

    // ------------------------------------------------------------------- attention: forward, then backward

    /**
     * q/k/v projections of x = a.ln1, RoPE, causal attention over every filled slot of the cache (the new keys and
     * values are written into it), then o_proj: returns the output [N, d] (a buffer reused across layers when reuse).
     */
    private float[] attention(int l, Pass p, Acts a, boolean reuse) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        Hooks hooks = p.hooks;
        int B = p.B, T = p.T, N = p.N(), d = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim();
        int H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim(), cap = p.cache.capacity;
        float[] q = new float[N * qDim], k = new float[N * kvDim], v = new float[N * kvDim];
        matmul(q, a.ln1, N, w.wq, w.bq);
        matmul(k, a.ln1, N, w.wk, w.bk);
        matmul(v, a.ln1, N, w.wv, w.bv);
        if (hooks != null) {
            hooks.fire(hookNames.attnQ[l], q, B, T, H, hd);
            hooks.fire(hookNames.attnK[l], k, B, T, KVH, hd);
            hooks.fire(hookNames.attnV[l], v, B, T, KVH, hd);
        }
        int[] pos = p.pos;
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                rope.rotate(q, n * qDim, H, pos[n], false);
                rope.rotate(k, n * kvDim, KVH, pos[n], false);
            }
        });
        float[] kc = p.cache.k[l], vc = p.cache.v[l];
        for (int b = 0; b < B; b++) {
            System.arraycopy(k, b * T * kvDim, kc, (b * cap + p.start) * kvDim, T * kvDim);
            System.arraycopy(v, b * T * kvDim, vc, (b * cap + p.start) * kvDim, T * kvDim);
        }
        a.q = q;
        float[] att = a.att = new float[B * H * T * (p.start + T)];
        float[] z = a.attnCat = new float[N * qDim];
        softmaxAttention(q, kc, vc, p, att, z);
        if (hooks != null) {
            hooks.fire(hookNames.attnPattern[l], att, B, H, T, p.start + T);
            hooks.fire(hookNames.attnZ[l], z, B, T, H, hd);
        }
        float[] out = reuse(a.attnOut, N * d, reuse);
        if (reuse) a.attnOut = out; // a training forward must not keep it alive
        matmul(out, z, N, w.wo, null);
        if (hooks != null) hooks.fire(hookNames.attnOut[l], out, B, T, d);
        return out;
    }

    /**
     * Backward of {@link #attention} in a training pass (cache of capacity T, filled from slot 0): from dL/d(output)
     * [N, d], returns dL/d(ln1) and accumulates the weight gradients into g.
     */
    private float[] attentionBackward(int l, Pass p, Acts a, float[] dOut, Gradients.Layer g) {
        // forward: out = o_proj(softmax(rope(q) · rope(k)ᵀ / √hd) · v), q, k, v = projections of x = ln1
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers[l];
        int N = p.N(), d = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim();
        float[] dZ = new float[N * qDim];
        matmulBackwardInput(dZ, dOut, N, w.wo, false);
        if (g != null) matmulBackwardWeight(g.wo, dOut, a.attnCat, N, d, qDim);
        float[] dQ = new float[N * qDim], dK = new float[N * kvDim], dV = new float[N * kvDim];
        softmaxAttentionBackward(a.q, p.cache.k[l], p.cache.v[l], a.att, p, dZ, dQ, dK, dV);
        int[] pos = p.pos;
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                rope.rotate(dQ, n * qDim, c.nHeads(), pos[n], true);
                rope.rotate(dK, n * kvDim, c.nKvHeads(), pos[n], true);
            }
        });
        float[] dLn1 = new float[N * d];
        matmulBackwardInput(dLn1, dQ, N, w.wq, false);
        matmulBackwardInput(dLn1, dK, N, w.wk, true);
        matmulBackwardInput(dLn1, dV, N, w.wv, true);
        if (g != null) {
            matmulBackwardWeight(g.wq, dQ, a.ln1, N, qDim, d);
            matmulBackwardWeight(g.wk, dK, a.ln1, N, kvDim, d);
            matmulBackwardWeight(g.wv, dV, a.ln1, N, kvDim, d);
            if (g.bq != null) {
                for (int n = 0; n < N; n++) {
                    add(g.bq, 0, dQ, n * qDim, qDim);
                    add(g.bk, 0, dK, n * kvDim, kvDim);
                    add(g.bv, 0, dV, n * kvDim, kvDim);
                }
            }
        }
        return dLn1;
    }

    /**
     * z = softmax(q · kᵀ · attnScale) · v per head, causal over the filled slots of the cache (kc, vc), a padding
     * token seeing only itself: fills the probabilities att [B, H, T, S] and z [N, qDim].
     */
    private void softmaxAttention(float[] q, float[] kc, float[] vc, Pass p, float[] att, float[] z) {
        ModelConfig c = config;
        int T = p.T, qDim = c.qDim(), kvDim = c.kvDim(), H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim();
        int cap = p.cache.capacity, start = p.start, S = start + T, group = H / KVH;
        boolean[] valid = p.cache.valid;
        Parallel.forEach(p.B * H, bh -> {
            int b = bh / H, h = bh % H, kvh = h / group;
            for (int t = 0; t < T; t++) {
                int row = ((b * H + h) * T + t) * S;
                int qo = (b * T + t) * qDim + h * hd;
                int self = start + t;
                boolean selfValid = valid[b * cap + self];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= self; j++) {
                    boolean visible = selfValid ? valid[b * cap + j] : j == self;
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
                for (int j = 0; j <= self; j++) att[row + j] *= inv;
                Kernels.weightedRows(att, row, self + 1, vc, b * cap * kvDim + kvh * hd, kvDim, z, qo, hd);
            }
        });
    }

    /**
     * Backward of {@link #softmaxAttention} for a training pass (S = T): dZ to dQ, dK, dV. Work is split by (row,
     * KV head) so the heads sharing a key/value head write dK/dV from one thread.
     */
    private void softmaxAttentionBackward(float[] q, float[] kc, float[] vc, float[] att, Pass p, float[] dZ, float[] dQ,
                                          float[] dK, float[] dV) {
        // forward: z_t = Σ_j P_tj v_j, P_t = softmax_j(q_t · k_j · attnScale) over the visible slots j ≤ t
        ModelConfig c = config;
        int T = p.T, H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim();
        int qDim = c.qDim(), kvDim = c.kvDim(), group = H / KVH;
        Parallel.forEach(p.B * KVH, bk -> {
            int b = bk / KVH, kvh = bk % KVH;
            float[] dP = new float[T], dS = new float[T];
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int t = 0; t < T; t++) {
                    int row = ((b * H + h) * T + t) * T;
                    int oo = (b * T + t) * qDim + h * hd;
                    double sum = 0;
                    for (int j = 0; j <= t; j++) {
                        float pj = att[row + j];
                        if (pj == 0f) {
                            dP[j] = 0;
                            continue;
                        }
                        int kvo = (b * T + j) * kvDim + kvh * hd;
                        dP[j] = dot(dZ, oo, vc, kvo, hd);
                        sum += pj * dP[j];
                        axpy(pj, dZ, oo, dV, kvo, hd); // dV_j += P_tj dZ_t
                    }
                    for (int j = 0; j <= t; j++) {
                        float pj = att[row + j];
                        dS[j] = pj == 0f ? 0f : pj * (dP[j] - (float) sum) * attnScale;
                        if (dS[j] != 0f) axpy(dS[j], q, oo, dK, (b * T + j) * kvDim + kvh * hd, hd); // dK_j += dS Q_t
                    }
                    Kernels.weightedRows(dS, 0, t + 1, kc, b * T * kvDim + kvh * hd, kvDim, dQ, oo, hd); // dQ_t += Σ dS K_j
                }
            }
        });
    }
}
