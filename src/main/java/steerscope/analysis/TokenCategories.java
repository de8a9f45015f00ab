package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import steerscope.model.SteeringVectors;

/**
 * Analysis 6, token categories ({@code token_categories.json}). Every token's decoded text is put in one of:
 * <ul>
 *   <li>process: after trimming whitespace and lower-casing, one of {@link #PROCESS_WORDS} ("Step", " To",
 *       "first", " Therefore" ...);</li>
 *   <li>structure: a newline-bearing whitespace token, or non-blank text made only of digits, the symbols
 *       {@code : = - + * / ^ \ { } ( ) [ ] $ . , %} and LaTeX commands ({@code boxed}, {@code frac}, {@code cdot}, {@code sqrt}
 *       with or without the backslash; {@code \times}, {@code \left} ... with it);</li>
 *   <li>other: everything else (special tokens included).</li>
 * </ul>
 * Per layer with a vector, mean_logit[c] = the mean weight-only lens logit (analysis 1) of the tokens of
 * category c minus the mean over the whole vocabulary; and the frequency of each category among the tokens
 * of the greedy completions, base and steered (special tokens not counted).
 */
final class TokenCategories {
    static final List<String> CATEGORIES = List.of("process", "structure", "other");
    static final Set<String> PROCESS_WORDS = Set.of("step", "steps", "to", "first", "second", "third", "let", "we", "so",
            "therefore", "then", "next", "find", "now", "thus", "hence", "since", "because", "need", "solve",
            "compute", "determine", "given", "know", "note", "recall", "finally", "start", "begin", "consider", "substitute",
            "simplify", "check", "verify");
    private static final Pattern LATEX_WORDS = Pattern.compile("\\\\?(boxed|d?frac|cdot|sqrt)|\\\\(times|div|left|right|text|quad|le|ge|neq|pm)");
    private static final Pattern STRUCTURE_CHARS = Pattern.compile("[0-9:=+\\-*/^\\\\{}()\\[\\]$.,%\\s]*");

    private TokenCategories() {}

    /** "process", "structure" or "other" for a token's text. */
    static String category(String text) {
        String t = text.strip();
        if (t.isEmpty()) return text.indexOf('\n') >= 0 ? "structure" : "other";
        if (PROCESS_WORDS.contains(t.toLowerCase(Locale.ROOT))) return "process";
        String rest = LATEX_WORDS.matcher(t).replaceAll("");
        return STRUCTURE_CHARS.matcher(rest).matches() ? "structure" : "other";
    }

    /** The category index (into {@link #CATEGORIES}) of every token of the vocabulary; special tokens are "other". */
    static int[] ofVocab(Vocab vocab) {
        int[] cat = new int[vocab.size];
        for (int id = 0; id < vocab.size; id++) cat[id] = vocab.tokenizer.isSpecial(id) ? 2 : CATEGORIES.indexOf(category(vocab.text(id)));
        return cat;
    }

    static Map<String, Object> analyse(Lens lens, Vocab vocab, SteeringVectors vectors,
                                       List<Completions.Completion> base, List<Completions.Completion> steered) {
        int[] cat = ofVocab(vocab);
        int[] counts = new int[3];
        List<List<String>> examples = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int id = 0; id < vocab.size; id++) {
            counts[cat[id]]++;
            if (examples.get(cat[id]).size() < 30) examples.get(cat[id]).add(vocab.text(id));
        }
        List<Object> layers = new ArrayList<>();
        for (int l : vectors.layers()) {
            float[] logits = lens.ofDirection(vectors.get(l));
            double mean = vocab.mean(logits, 0);
            double[] sum = new double[3];
            for (int id = 0; id < vocab.size; id++) sum[cat[id]] += logits[id];
            Map<String, Object> m = Out.map();
            for (int c = 0; c < 3; c++) m.put(CATEGORIES.get(c), counts[c] == 0 ? null : Out.num(sum[c] / counts[c] - mean));
            layers.add(Out.map("layer", l, "mean_logit", m));
        }
        return Out.map("categories", CATEGORIES,
                "examples", Out.map("process", examples.get(0), "structure", examples.get(1)),
                "counts", Out.map("process", counts[0], "structure", counts[1], "other", counts[2]),
                "lens", layers,
                "generated", Out.map("base", frequencies(base, cat, vocab), "steered", frequencies(steered, cat, vocab)),
                "generated_tokens", Out.map("base", counted(base, vocab), "steered", counted(steered, vocab)));
    }

    private static long counted(List<Completions.Completion> cs, Vocab vocab) {
        long n = 0;
        for (Completions.Completion c : cs) for (int id : c.tokens()) if (id < vocab.size && !vocab.tokenizer.isSpecial(id)) n++;
        return n;
    }

    private static Map<String, Object> frequencies(List<Completions.Completion> cs, int[] cat, Vocab vocab) {
        double[] n = new double[3];
        double total = 0;
        for (Completions.Completion c : cs) {
            for (int id : c.tokens()) {
                if (id >= vocab.size || vocab.tokenizer.isSpecial(id)) continue;
                n[cat[id]]++;
                total++;
            }
        }
        Map<String, Object> m = Out.map();
        for (int c = 0; c < 3; c++) m.put(CATEGORIES.get(c), Out.num(n[c] / total));
        return m;
    }
}
