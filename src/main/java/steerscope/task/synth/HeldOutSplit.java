package steerscope.task.synth;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import steerscope.util.UserError;

/**
 * The train/test split: a chain of depth 2 or more is a test chain when a fixed hash of its canonical form
 * ({@code "7 + 5 - 3"}) falls below {@link ArithmeticGenerator.Config#testFraction}. The split depends on
 * nothing else (not the seed, not the surface form), so training never sees a test chain in any wording,
 * whatever seeds the two sides use. Single operations (depth 1) are always train: they are the facts the
 * model must know; the test measures composing them.
 */
public final class HeldOutSplit {
    private final ArithmeticGenerator.Config config;

    public HeldOutSplit(ArithmeticGenerator.Config config) {
        this.config = config;
    }

    public boolean isTest(ArithmeticProblem problem) {
        return problem.depth() >= 2 && unitHash(problem.canonical()) < config.testFraction();
    }

    /** Unlimited training questions (depths from the config), test chains skipped; same seed, same stream. */
    public Stream<ArithmeticProblem> trainStream(long seed) {
        var gen = new ArithmeticGenerator(seed, config);
        return Stream.generate(() -> nextTrain(gen)).sequential();
    }

    /** Draws the next question of {@code gen} that is not a test chain. */
    public ArithmeticProblem nextTrain(ArithmeticGenerator gen) {
        while (true) {
            ArithmeticProblem p = gen.next();
            if (!isTest(p)) {
                return p;
            }
        }
    }

    /** {@code n} test questions with distinct canonical chains, in a seeded order. */
    public List<ArithmeticProblem> testSet(int n, long seed) {
        if (config.testFraction() <= 0 || config.maxDepth() < 2) {
            throw new UserError("synthetic task: this config holds nothing out (testFraction "
                    + config.testFraction() + ", maxDepth " + config.maxDepth() + ")");
        }
        var gen = new ArithmeticGenerator(seed, config);
        List<ArithmeticProblem> out = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        long tries = 0, maxTries = 1000L * n + 1_000_000L;  // a small chain space can run out of distinct chains
        while (out.size() < n) {
            if (++tries > maxTries) {
                throw new UserError("synthetic task: found only " + out.size() + " distinct test chains of " + n
                        + " asked; the config's chain space is too small");
            }
            ArithmeticProblem p = gen.next();
            if (isTest(p) && seen.add(p.canonical())) {
                out.add(p);
            }
        }
        return out;
    }

    /** FNV-1a over the UTF-8 bytes, then a SplitMix64 finalizer, mapped to [0, 1). Fixed forever: changing it moves the split. */
    static double unitHash(String canonical) {
        long h = 0xcbf29ce484222325L;
        for (byte b : canonical.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53;
    }
}
