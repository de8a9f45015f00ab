package steerscope.model;

import java.util.ArrayList;
import java.util.List;
import steerscope.tokenizer.Tokenizer;

/**
 * Greedy completions of many prompts, {@code batch} prompts at a time (a batch is left-padded and decoded together,
 * each row stopping at end-of-sequence or the token budget), each with its text without special tokens. The one way
 * evaluation ({@code rl/Evaluator}), the analyses ({@code analysis/Completions}) and the organism's measurements
 * ({@code organism/OrganismEval}) complete prompts greedily.
 */
public final class GreedyCompletions {
    /** Generated ids (end-of-sequence included when reached) and their text without special tokens. */
    public record Completion(int[] tokens, String text) {}

    /** Hears each batch as soon as it is decoded; {@code first} is the index of its first prompt. */
    @FunctionalInterface
    public interface BatchDone {
        void done(int first, List<Completion> batch);
    }

    private GreedyCompletions() {}

    /** The completions of all the prompts, in order; {@code done} (may be null) hears each batch. */
    public static List<Completion> of(Model model, Tokenizer tokenizer, List<int[]> prompts, Steering steering, int maxNewTokens,
                                      int batch, BatchDone done) {
        Generator gen = new Generator(model.transformer, tokenizer::decode);
        List<Completion> out = new ArrayList<>(prompts.size());
        for (int first = 0; first < prompts.size(); first += batch) {
            List<Generator.Request> reqs = new ArrayList<>();
            for (int[] p : prompts.subList(first, Math.min(prompts.size(), first + batch))) reqs.add(new Generator.Request(p, 0));
            List<Completion> cs = new ArrayList<>(reqs.size());
            for (Generator.Result r : gen.generate(reqs, Generator.Options.greedy(maxNewTokens), steering, null)) {
                cs.add(new Completion(r.tokens(), tokenizer.decode(r.tokens(), true)));
            }
            out.addAll(cs);
            if (done != null) done.done(first, cs);
        }
        return out;
    }
}
