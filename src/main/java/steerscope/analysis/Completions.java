package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import steerscope.model.Generator;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Progress;

/** Greedy completions of a set of prompts under one steering, decoded in batches, each checked against its answer. */
final class Completions {
    /** One completion: generated ids (end-of-sequence included when reached), text without special tokens, correctness. */
    record Completion(int[] tokens, String text, boolean correct) implements Serializable {}

    private Completions() {}

    static List<Completion> greedy(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts,
                                   Steering steering, int maxNewTokens, int batch, String label, boolean progress) {
        Generator gen = new Generator(model.transformer, tokenizer::decode);
        AnswerChecker checker = new AnswerChecker();
        List<Completion> out = new ArrayList<>();
        Progress p = progress ? new Progress(label, problems.size(), 0) : null;
        for (int s = 0; s < problems.size(); s += batch) {
            int e = Math.min(problems.size(), s + batch);
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = s; i < e; i++) reqs.add(new Generator.Request(prompts.get(i), 0));
            List<Generator.Result> res = gen.generate(reqs, Generator.Options.greedy(maxNewTokens), steering, null);
            for (int i = s; i < e; i++) {
                int[] toks = res.get(i - s).tokens();
                String text = tokenizer.decode(toks, true);
                out.add(new Completion(toks, text, checker.matches(text, problems.get(i).answer())));
            }
            if (p != null) p.update(out.size(), String.format(Locale.ROOT, "acc %.3f", accuracy(out)));
        }
        return out;
    }

    static double accuracy(List<Completion> cs) {
        if (cs.isEmpty()) return Double.NaN;
        return cs.stream().filter(Completion::correct).count() / (double) cs.size();
    }
}
