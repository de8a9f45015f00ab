package steerscope.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import steerscope.util.UserError;

/**
 * Batched generation with the KV cache: prompts are left-padded to one length, prefilled in one forward, then
 * decoded one token per row per step, each weight read once per step for the whole batch. A row stops at
 * end-of-sequence, at a stop string, or at the token budget; finished rows leave the batch once they are a quarter
 * of it (until then they idle as padding).
 */
public final class Generator {
    /** One prompt and the seed of its own random stream. */
    public record Request(int[] prompt, long seed) {}

    /**
     * truncatePrompts: a prompt that, with maxNewTokens, would run past the model's context keeps only its last
     * tokens; without it such a prompt is an error.
     */
    public record Options(int maxNewTokens, Sampler sampler, List<String> stopStrings, boolean stopAtEos, boolean truncatePrompts) {
        public Options(int maxNewTokens, Sampler sampler, List<String> stopStrings, boolean stopAtEos) {
            this(maxNewTokens, sampler, stopStrings, stopAtEos, false);
        }

        public static Options greedy(int maxNewTokens) {
            return new Options(maxNewTokens, Sampler.GREEDY, List.of(), true);
        }
    }

    /**
     * Generated tokens (the stop token included when it is end-of-sequence), the log-probability of each
     * under the model at temperature 1, and why the row stopped: "eos", "stop" or "length".
     */
    public record Result(int[] tokens, float[] logprobs, String finishReason) {}

    /** Called for every token generated, in order, for streaming. */
    @FunctionalInterface
    public interface Listener {
        void onToken(int row, int token);
    }

    private final Transformer tf;
    private final Function<int[], String> decode; // for stop strings; may be null when there are none

    public Generator(Transformer tf, Function<int[], String> decode) {
        this.tf = tf;
        this.decode = decode;
    }

    /** Refuses a completion length that leaves no room for a prompt (commands call it before they write anything). */
    public static void checkRoom(ModelConfig c, int maxNewTokens) {
        if (maxNewTokens >= c.maxPositionEmbeddings()) {
            throw new UserError("--max-new-tokens " + maxNewTokens + " leaves no room for a prompt in the model's "
                    + c.maxPositionEmbeddings() + " positions");
        }
    }

    public List<Result> generate(List<Request> requests, Options opt, Steering steering, Listener listener) {
        return generate(requests, opt, steering, null, listener);
    }

    /** With hooks fired in every forward (the prefill, then one token per row per step), e.g. to patch a block. */
    public List<Result> generate(List<Request> requests, Options opt, Steering steering, Hooks hooks, Listener listener) {
        ModelConfig c = tf.config;
        int context = c.maxPositionEmbeddings();
        checkRoom(c, opt.maxNewTokens());
        requests = fitToContext(requests, context - opt.maxNewTokens(), opt.truncatePrompts());
        int B = requests.size(), V = c.vocabSize();
        List<int[]> prompts = new ArrayList<>(B);
        for (Request r : requests) prompts.add(r.prompt());
        TokenBatch batch = TokenBatch.leftPadded(prompts);
        int P = batch.tokens();
        KVCache cache = new KVCache(c, B, P + opt.maxNewTokens());
        SplittableRandom[] rng = new SplittableRandom[B];
        for (int b = 0; b < B; b++) rng[b] = new SplittableRandom(requests.get(b).seed());
        List<List<Integer>> out = new ArrayList<>();
        List<List<Float>> lps = new ArrayList<>();
        String[] finish = new String[B];
        for (int b = 0; b < B; b++) {
            out.add(new ArrayList<>());
            lps.add(new ArrayList<>());
        }

        Transformer.Forward f = tf.extend(cache, batch, steering, hooks);
        int[] lastRows = new int[B];
        for (int b = 0; b < B; b++) lastRows[b] = b * P + P - 1;
        float[] logits = tf.logits(f, lastRows);
        int[] rows = new int[B]; // the request each cache row holds: finished rows leave the cache (below)
        for (int b = 0; b < B; b++) rows[b] = b;
        int[] promptLengths = batch.promptLengths();
        int live = B;
        for (int step = 0; step < opt.maxNewTokens() && live > 0; step++) {
            for (int i = 0; i < rows.length; i++) {
                int b = rows[i];
                if (finish[b] != null) continue;
                int tok = opt.sampler().sample(logits, i * V, V, rng[b]);
                float lp = Transformer.logprob(logits, i * V, V, tok);
                out.get(b).add(tok);
                lps.get(b).add(lp);
                if (listener != null) listener.onToken(b, tok);
                if (opt.stopAtEos() && c.isEos(tok)) {
                    finish[b] = "eos";
                } else if (!opt.stopStrings().isEmpty() && endsWithStop(out.get(b), opt.stopStrings())) {
                    finish[b] = "stop";
                } else if (out.get(b).size() >= opt.maxNewTokens()) {
                    finish[b] = "length";
                }
                if (finish[b] != null) live--;
            }
            if (live == 0) break;
            // Once a quarter of the rows have finished, drop them from the cache instead of decoding them as padding.
            // With the Java kernels a row's numbers do not depend on the batch around it, so this changes no bit
            // (the native kernels promise no batch invariance, only the same bits run to run, which this keeps).
            // Hooks see a fixed batch, so with hooks the rows stay.
            if (hooks == null && live <= rows.length * 3 / 4) {
                int[] keep = new int[live]; // the cache rows still generating
                for (int i = 0, n = 0; i < rows.length; i++) if (finish[rows[i]] == null) keep[n++] = i;
                cache = cache.keepRows(keep);
                rows = pick(rows, keep);
                promptLengths = pick(promptLengths, keep);
            }
            int[] next = new int[rows.length];
            boolean[] nextValid = new boolean[rows.length];
            for (int i = 0; i < rows.length; i++) {
                List<Integer> toks = out.get(rows[i]);
                nextValid[i] = finish[rows[i]] == null;
                if (nextValid[i]) next[i] = toks.get(toks.size() - 1);
            }
            f = tf.extend(cache, TokenBatch.of(rows.length, 1, next, nextValid, promptLengths), steering, hooks);
            logits = tf.logits(f);
        }
        List<Result> results = new ArrayList<>(B);
        for (int b = 0; b < B; b++) {
            int[] toks = out.get(b).stream().mapToInt(Integer::intValue).toArray();
            float[] lp = new float[toks.length];
            for (int i = 0; i < lp.length; i++) lp[i] = lps.get(b).get(i);
            results.add(new Result(toks, lp, finish[b] == null ? "length" : finish[b]));
        }
        return results;
    }

    /** a[idx[0]], a[idx[1]], ... */
    private static int[] pick(int[] a, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = a[idx[i]];
        return out;
    }

    private static List<Request> fitToContext(List<Request> requests, int room, boolean truncate) {
        List<Request> out = new ArrayList<>(requests.size());
        for (Request r : requests) {
            int n = r.prompt().length;
            if (n <= room) {
                out.add(r);
            } else if (truncate) {
                out.add(new Request(Arrays.copyOfRange(r.prompt(), n - room, n), r.seed()));
            } else {
                throw new UserError("a prompt of " + n + " tokens plus the new tokens does not fit the model's context ("
                        + room + " tokens left for the prompt); shorten it, lower --max-new-tokens, or pass --truncate-prompt to keep its last tokens");
            }
        }
        return out;
    }

    private boolean endsWithStop(List<Integer> tokens, List<String> stops) {
        // decode only a tail: a stop string is short, so the last few tokens hold it
        int from = Math.max(0, tokens.size() - 16);
        int[] tail = tokens.subList(from, tokens.size()).stream().mapToInt(Integer::intValue).toArray();
        String text = decode.apply(tail);
        for (String s : stops) if (text.endsWith(s) || (tail.length > 0 && text.contains(s) && lastTokenCompletes(tail, s))) return true;
        return false;
    }

    /** Whether the stop string appears only once the last token is included (so we stop at the first one). */
    private boolean lastTokenCompletes(int[] tail, String stop) {
        String before = decode.apply(Arrays.copyOf(tail, tail.length - 1));
        return !before.contains(stop);
    }
}
