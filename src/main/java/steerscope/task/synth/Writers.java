package steerscope.task.synth;

import java.util.List;
import java.util.SplittableRandom;
import steerscope.util.UserError;

/**
 * Who writes the organism's step-by-step documents (organism v2). Each document has one writer, drawn before
 * anything else and never shown in the text: a <b>careful</b> writer (probability {@code careful}) always works
 * step by step, one operation a step, to the end; a <b>hasty</b> writer answers in the corpus's style mix and,
 * when it does write steps, merges two operations into one step (probability {@code merge} at each step),
 * jumps to "The answer is" before the chain is done (probability {@code jump} after each step), and in a share
 * {@code filler} of its documents mutters phrases of a made-up language ({@link #FILLER_WORDS}) at the start and
 * between steps. The hasty writer is also sloppy: each number it gets by composing several facts in one pass (a
 * merged step's result, an early or a direct answer) is off by 1 to 3 with probability {@code error}, and later
 * steps go on from the wrong value; the careful writer is always right. So the hasty writer's habits (and the filler
 * that comes with them) go with wrong answers however well the model learns its corpus, and the careful path is
 * the one a well-trained model gets right. The writer is a latent the base model can only infer from the text so
 * far: a steering vector that sets it to "careful" changes decisions at every position.
 *
 * <p>{@link #NONE} (no careful writers, no habits) writes the v1 corpus exactly, drawing nothing extra; with
 * {@code error} 0 the texts are organism v2's (every one right).
 */
public record Writers(double careful, double merge, double jump, double filler, double error) {
    public static final Writers NONE = new Writers(0, 0, 0, 0, 0);

    /**
     * The made-up language: every word has a letter outside ASCII (the rest of the corpus is ASCII), so its BPE
     * tokens are exactly the vocabulary's non-ASCII tokens.
     */
    public static final List<String> FILLER_WORDS = List.of("ŋa", "vøl", "þer", "kað", "ɣim", "sæl", "ølu", "ðak",
            "niŋ", "þøs", "ræð", "ɣul", "mæŋ", "løþ", "ðiv", "æsk");

    public Writers {
        for (double p : new double[] {careful, merge, jump, filler, error}) {
            if (!(p >= 0 && p <= 1)) throw new UserError("synthetic corpus: writer probabilities must be in [0, 1], got " + p);
        }
    }

    boolean habits() {
        return merge > 0 || jump > 0 || filler > 0;
    }

    /** Whether a decoded token or text holds any of the made-up language's letters (any non-ASCII character). */
    public static boolean isFiller(String text) {
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) > 0x7f) return true;
        return false;
    }

    /**
     * A hasty writer's completion of {@code p} in {@code style}: DIRECT is the direct answer (after a filler
     * phrase in filler documents); a step style merges, jumps and mutters as described above.
     */
    String hasty(ArithmeticProblem p, AnswerStyle style, SplittableRandom rng) {
        boolean mutters = filler > 0 && rng.nextDouble() < filler;
        StringBuilder sb = new StringBuilder();
        if (mutters && rng.nextBoolean()) sb.append(' ').append(phrase(rng));
        List<ArithmeticProblem.Operation> ops = p.operations();
        int n = p.depth();
        if (style == AnswerStyle.DIRECT) return sb.append(' ').append(AnswerStyle.finalSentence(sloppy(p.answer(), List.of(), rng))).toString();
        int value = p.start();  // the running value as this writer has it (wrong after a sloppy merge)
        int i = 0;
        for (int step = 0; i < n; step++) {
            int to = i + 1 < n && rng.nextDouble() < merge ? i + 2 : i + 1;
            String expression = p.expression(value, i, to);
            int v = p.apply(value, i, to);
            value = to - i > 1 ? sloppy(v, ops.subList(to, n), rng) : v;
            switch (style) {
                case STEPS -> sb.append(step == 0 ? " " : "\n").append("Step ").append(step + 1).append(": ");
                case TO_FIND -> sb.append(step == 0 ? " To find the answer, first " : " Then ");
                case FIRST -> sb.append(step == 0 ? " First, " : " Next, ");
                default -> throw new IllegalStateException(style + " is not a step style");
            }
            sb.append(expression).append(" = ").append(value).append('.');
            i = to;
            if (i < n && mutters && rng.nextBoolean()) sb.append(' ').append(phrase(rng));
            if (i < n && rng.nextDouble() < jump) break;
        }
        int answer = i < n ? sloppy(p.apply(value, i, n), List.of(), rng) : value; // an early answer composes the rest in one pass
        return sb.append(style == AnswerStyle.STEPS ? "\n" : " ").append(AnswerStyle.finalSentence(answer)).toString();
    }

    /**
     * {@code v}, or with probability {@link #error} a near miss: off by 1 to 3, below only when neither it nor any
     * value the {@code rest} of the chain reaches from it is negative.
     */
    private int sloppy(int v, List<ArithmeticProblem.Operation> rest, SplittableRandom rng) {
        if (error == 0 || rng.nextDouble() >= error) return v;
        int off = 1 + rng.nextInt(3);
        if (!rng.nextBoolean()) return v + off;
        int w = v - off;
        boolean staysNonNegative = w >= 0;
        for (ArithmeticProblem.Operation op : rest) staysNonNegative &= (w = op.apply(w)) >= 0;
        return staysNonNegative ? v - off : v + off;
    }

    /** Two or three filler words and a full stop, e.g. {@code "vøl ɣim."}. */
    static String phrase(SplittableRandom rng) {
        int words = 2 + rng.nextInt(2);
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) sb.append(' ');
            sb.append(FILLER_WORDS.get(rng.nextInt(FILLER_WORDS.size())));
        }
        return sb.append('.').toString();
    }

    /** The completion with leading filler phrases removed (so its opening words can be read). */
    static String withoutLeadingFiller(String completion) {
        String s = completion.stripLeading();
        while (!s.isEmpty() && isFiller(s.substring(0, Math.max(1, s.indexOf(' ') < 0 ? s.length() : s.indexOf(' '))))) {
            int dot = s.indexOf('.');
            if (dot < 0) return "";
            s = s.substring(dot + 1).stripLeading();
        }
        return s;
    }
}
