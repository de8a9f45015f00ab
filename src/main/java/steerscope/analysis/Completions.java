package steerscope.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import steerscope.model.GreedyCompletions;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.task.AnswerChecker;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Progress;

/** Greedy completions of a set of prompts under one steering ({@link GreedyCompletions}), each checked against its answer. */
final class Completions {
    /** One completion: generated ids (end-of-sequence included when reached), text without special tokens, correctness. */
    record Completion(int[] tokens, String text, boolean correct) implements Serializable {}

    private Completions() {}

    static List<Completion> greedy(Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts,
                                   Steering steering, int maxNewTokens, int batch, String label, boolean progress) {
        AnswerChecker checker = new AnswerChecker();
        List<Completion> out = new ArrayList<>();
        Progress p = progress ? new Progress(label, problems.size(), 0) : null;
        GreedyCompletions.of(model, tokenizer, prompts, steering, maxNewTokens, batch, (first, cs) -> {
            for (int i = 0; i < cs.size(); i++) {
                String text = cs.get(i).text();
                out.add(new Completion(cs.get(i).tokens(), text, checker.matches(text, problems.get(first + i).answer())));
            }
            if (p != null) p.update(out.size(), String.format(Locale.ROOT, "acc %.3f", accuracy(out)));
        });
        return out;
    }

    static double accuracy(List<Completion> cs) {
        if (cs.isEmpty()) return Double.NaN;
        return cs.stream().filter(Completion::correct).count() / (double) cs.size();
    }
}
