package steerscope.task.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import steerscope.util.UserError;

/**
 * Seeded, unlimited source of {@link ArithmeticProblem}s: chains of {@code +}/{@code -} on small numbers.
 *
 * <p>How a problem is drawn: the start number is uniform in the operand range; each operation picks {@code +}
 * or {@code -} with equal chance among those that can keep the running value inside {@code [0, maxValue]},
 * then an operand uniform among those that do. So every intermediate value is a 1-2 digit number, never
 * negative, and every single step is one fact "x ± y = z" with x, z in 0..maxValue and y in the operand range.
 * With the defaults (operands 2..20, values 0..99) there are about 3,500 such facts: few enough for a ~1-5 M
 * parameter model to learn in minutes, while the direct answer to a 2-4 step chain needs 2-4 of them composed
 * inside one forward pass.
 *
 * <p>Surface forms: a symbolic question ({@code "What is 7 + 5 - 3?"}, {@code "Calculate 7 + 5 - 3."}) or, with
 * probability {@link Config#wordProblemFraction}, one of two word-problem templates ("Tom has 7 apples. He buys
 * 5 more. Then he gives away 3. How many apples does Tom have now?", and a container template). The numbers of
 * a word problem appear in chain order, each operation in its own sentence.
 *
 * <p>{@link #nextDrill()} gives single-operation problems drawn as one random step of a random chain, so drills
 * cover exactly the facts that chains need. Same seed and config, same sequence of problems.
 */
public final class ArithmeticGenerator {

    /**
     * @param minDepth            fewest operations of a question (drills are always depth 1)
     * @param maxDepth            most operations of a question
     * @param minOperand          smallest start number and operand
     * @param maxOperand          largest start number and operand
     * @param maxValue            largest allowed value of any intermediate result (the smallest is 0)
     * @param wordProblemFraction share of questions written as word problems instead of symbols
     * @param testFraction        share of canonical chains (depth 2+) held out for test, see {@link HeldOutSplit}
     */
    public record Config(int minDepth, int maxDepth, int minOperand, int maxOperand, int maxValue,
                         double wordProblemFraction, double testFraction) {

        public static final Config DEFAULT = new Config(2, 4, 2, 20, 99, 0.3, 0.1);

        public Config {
            if (minDepth < 1 || maxDepth < minDepth) {
                throw new UserError("synthetic task: depth range " + minDepth + ".." + maxDepth
                        + " must have 1 <= minDepth <= maxDepth");
            }
            if (minOperand < 1 || maxOperand < minOperand) {
                throw new UserError("synthetic task: operand range " + minOperand + ".." + maxOperand
                        + " must have 1 <= minOperand <= maxOperand");
            }
            // Need room both to add and to subtract the smallest operand from any reachable value.
            if (maxValue < maxOperand || maxValue < 2 * minOperand) {
                throw new UserError("synthetic task: maxValue " + maxValue + " must be at least maxOperand ("
                        + maxOperand + ") and 2 * minOperand (" + 2 * minOperand + ")");
            }
            if (!(wordProblemFraction >= 0 && wordProblemFraction <= 1)) {
                throw new UserError("synthetic task: wordProblemFraction " + wordProblemFraction + " must be in [0, 1]");
            }
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw new UserError("synthetic task: testFraction " + testFraction + " must be in [0, 1)");
            }
        }
    }

    private final Config config;
    private final SplittableRandom rng;

    public ArithmeticGenerator(long seed, Config config) {
        this.config = config;
        this.rng = new SplittableRandom(seed);
    }

    public Config config() {
        return config;
    }

    /** A question with depth uniform in the config's depth range. */
    public ArithmeticProblem next() {
        return next(config.minDepth() + rng.nextInt(config.maxDepth() - config.minDepth() + 1));
    }

    /** A question with exactly {@code depth} operations, symbolic or word problem. */
    public ArithmeticProblem next(int depth) {
        Chain chain = chain(depth);
        String question = rng.nextDouble() < config.wordProblemFraction()
                ? WordProblems.render(chain.start, chain.ops, rng)
                : symbolic(chain.start, chain.ops);
        return new ArithmeticProblem(chain.start, chain.ops, question);
    }

    /**
     * A single-operation symbolic problem: one random step of a random chain (depth from the config's range),
     * so its left operand follows the distribution of intermediate values that chains actually produce.
     */
    public ArithmeticProblem nextDrill() {
        int depth = config.minDepth() + rng.nextInt(config.maxDepth() - config.minDepth() + 1);
        Chain chain = chain(depth);
        int i = rng.nextInt(depth);
        int left = chain.start;
        for (int k = 0; k < i; k++) {
            left = chain.ops.get(k).apply(left);
        }
        List<ArithmeticProblem.Operation> one = List.of(chain.ops.get(i));
        return new ArithmeticProblem(left, one, symbolic(left, one));
    }

    private record Chain(int start, List<ArithmeticProblem.Operation> ops) {}

    private Chain chain(int depth) {
        int lo = config.minOperand(), hi = config.maxOperand(), max = config.maxValue();
        int start = lo + rng.nextInt(hi - lo + 1);
        int v = start;
        List<ArithmeticProblem.Operation> ops = new ArrayList<>(depth);
        for (int k = 0; k < depth; k++) {
            int maxAdd = Math.min(hi, max - v);  // largest operand that keeps v + y <= maxValue
            int maxSub = Math.min(hi, v);        // largest operand that keeps v - y >= 0
            boolean canAdd = maxAdd >= lo, canSub = maxSub >= lo;
            // The config check guarantees at least one is possible from any value in [0, maxValue].
            boolean add = canAdd && (!canSub || rng.nextBoolean());
            int top = add ? maxAdd : maxSub;
            int y = lo + rng.nextInt(top - lo + 1);
            var op = new ArithmeticProblem.Operation(add ? '+' : '-', y);
            ops.add(op);
            v = op.apply(v);
        }
        return new Chain(start, ops);
    }

    private String symbolic(int start, List<ArithmeticProblem.Operation> ops) {
        String chain = new ArithmeticProblem(start, ops, "").canonical();
        return rng.nextInt(4) == 0 ? "Calculate " + chain + "." : "What is " + chain + "?";
    }
}
