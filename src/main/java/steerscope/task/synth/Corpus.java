package steerscope.task.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import steerscope.util.UserError;

/**
 * Pretraining documents for the model organism. Each document is {@link PromptFormat#document}: a training
 * question (never a test chain) answered in a style drawn from the {@link StyleMix}. A share
 * {@code drillFraction} of documents are single-operation drills ({@code "Question: What is 12 - 3?\nAnswer:
 * The answer is \boxed{9}."}) answered with the same style mix, so each fact "x ± y = z" is seen both after
 * {@code \boxed} and after {@code =}.
 *
 * <p>Why the organism works: DIRECT is the most frequent style, so the pretrained model usually answers a
 * 2-4 step question in one token, composing several facts it only knows one at a time, and is mostly wrong;
 * the step styles need one fact per equation, each of which it has learned, so forcing or steering it into
 * them makes it mostly right. Same seed, same documents.
 */
public final class Corpus {

    /** Relative weights of the answer styles (normalized when drawn). */
    public record StyleMix(double direct, double steps, double toFind, double first) {
        public static final StyleMix DEFAULT = new StyleMix(0.64, 0.12, 0.12, 0.12);

        public StyleMix {
            for (double w : new double[] {direct, steps, toFind, first}) {
                if (!(w >= 0 && Double.isFinite(w))) {
                    throw new UserError("synthetic corpus: style weights must be finite and >= 0, got " + w);
                }
            }
            if (direct + steps + toFind + first <= 0) {
                throw new UserError("synthetic corpus: style weights sum to 0");
            }
        }

        /** The probability of {@code style} (0 for OTHER). */
        public double probability(AnswerStyle style) {
            double w = switch (style) {
                case DIRECT -> direct;
                case STEPS -> steps;
                case TO_FIND -> toFind;
                case FIRST -> first;
                case OTHER -> 0;
            };
            return w / (direct + steps + toFind + first);
        }

        /** A step-by-step style by the weights of the three step styles (DIRECT's weight left out). */
        AnswerStyle drawStepByStep(SplittableRandom rng) {
            double total = steps + toFind + first;
            if (total <= 0) return AnswerStyle.STEPS;
            double u = rng.nextDouble() * total;
            if (u < steps) return AnswerStyle.STEPS;
            return u < steps + toFind ? AnswerStyle.TO_FIND : AnswerStyle.FIRST;
        }

        AnswerStyle draw(SplittableRandom rng) {
            double u = rng.nextDouble();
            AnswerStyle last = AnswerStyle.DIRECT;
            for (AnswerStyle s : WRITABLE) {
                double p = probability(s);
                if (p > 0) {
                    last = s;
                    if (u < p) {
                        return s;
                    }
                    u -= p;
                }
            }
            return last;  // rounding left u just above the total
        }
    }

    private static final List<AnswerStyle> WRITABLE =
            List.of(AnswerStyle.DIRECT, AnswerStyle.STEPS, AnswerStyle.TO_FIND, AnswerStyle.FIRST);

    /** One generated document and how it was made ({@code careful}: written by a careful writer, see {@link Writers}). */
    public record Document(ArithmeticProblem problem, AnswerStyle style, boolean drill, boolean careful, String text) {}

    public static final double DEFAULT_DRILL_FRACTION = 0.25;

    private final ArithmeticGenerator.Config config;
    private final StyleMix mix;
    private final double drillFraction;
    private final Writers writers;
    private final HeldOutSplit split;

    public Corpus(ArithmeticGenerator.Config config, StyleMix mix, double drillFraction) {
        this(config, mix, drillFraction, Writers.NONE);
    }

    public Corpus(ArithmeticGenerator.Config config, StyleMix mix, double drillFraction, Writers writers) {
        if (!(drillFraction >= 0 && drillFraction <= 1)) {
            throw new UserError("synthetic corpus: drillFraction " + drillFraction + " must be in [0, 1]");
        }
        this.config = config;
        this.mix = mix;
        this.drillFraction = drillFraction;
        this.writers = writers;
        this.split = new HeldOutSplit(config);
    }

    public Corpus() {
        this(ArithmeticGenerator.Config.DEFAULT, StyleMix.DEFAULT, DEFAULT_DRILL_FRACTION);
    }

    public StyleMix mixture() {
        return mix;
    }

    public double drillFraction() {
        return drillFraction;
    }

    public HeldOutSplit split() {
        return split;
    }

    /** {@code n} document texts (no end marker), same seed same list. */
    public List<String> documents(int n, long seed) {
        return generate(n, seed).stream().map(Document::text).toList();
    }

    /** {@code n} documents with their problem and style. */
    public List<Document> generate(int n, long seed) {
        var rng = new SplittableRandom(seed);
        // Problems and choices come from separate streams so changing the mix does not change the problems.
        var gen = new ArithmeticGenerator(rng.split().nextLong(), config);
        var choices = rng.split();
        List<Document> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean drill = choices.nextDouble() < drillFraction;
            ArithmeticProblem p = drill ? gen.nextDrill() : split.nextTrain(gen);
            // drills (one operation) have no room for a writer's habits; v1 (Writers.NONE) draws nothing more
            boolean careful = !drill && writers.careful() > 0 && choices.nextDouble() < writers.careful();
            AnswerStyle style = careful ? mix.drawStepByStep(choices) : mix.draw(choices);
            String completion = drill || careful || !writers.habits() ? style.completion(p) : writers.hasty(p, style, choices);
            out.add(new Document(p, style, drill, careful, PromptFormat.prompt(p) + completion));
        }
        return out;
    }

    /**
     * The style a completion (the text after the prompt) is written in, judged by how it opens: " Step 1:",
     * " To find the answer, first", " First," or " The answer is" (leading whitespace ignored); anything
     * else is OTHER; leading filler phrases ({@link Writers}) are skipped. It says how the model chose to answer,
     * not whether the answer is right.
     */
    public static AnswerStyle styleOf(String completion) {
        String s = Writers.withoutLeadingFiller(completion);
        for (AnswerStyle style : WRITABLE) {
            if (s.startsWith(style.opening().strip())) {
                return style;
            }
        }
        return AnswerStyle.OTHER;
    }
}
