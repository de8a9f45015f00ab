package steerscope.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.model.Checkpoint;
import steerscope.model.Steering;
import steerscope.model.VectorPositions;
import steerscope.rl.Evaluator;
import steerscope.rl.RolloutStep;
import steerscope.task.Problem;

/**
 * {@code eval} on Spark: the problems are split into contiguous partitions, each executor runs the ordinary
 * {@link Evaluator} on its share with its memory-mapped model, and the per-problem results come back in order,
 * so the driver writes the same files the single-machine eval writes.
 */
public final class SparkEval {
    private SparkEval() {}

    /** Steering as shipped to executors: the vectors, and scale, positions and enabled layers as they are. */
    record WireSteering(WireVectors vectors, float scale, VectorPositions positions, boolean[] enabled) implements Serializable {
        static WireSteering of(Steering s) {
            return s == null ? null : new WireSteering(WireVectors.of(s.vectors()), s.scale(), s.positions(), s.layerEnabled());
        }

        Steering steering() {
            return new Steering(vectors.vectors(), scale, positions, enabled);
        }
    }

    /**
     * The same result as {@code new Evaluator(...).evaluate(problems, steering, opt, false)} on one machine.
     * @param partitions tasks (at most one per problem); 0: Spark's default parallelism
     */
    public static Evaluator.Result evaluate(JavaSparkContext sc, ModelSpec model, List<Problem> problems, Steering steering,
                                            Evaluator.Options opt, int partitions) {
        List<WireProblem> wire = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) wire.add(WireProblem.of(i, problems.get(i)));
        int tasks = Math.max(1, Math.min(wire.size(), partitions > 0 ? partitions : sc.defaultParallelism()));
        WireSteering ws = WireSteering.of(steering);
        List<Evaluator.ProblemResult> out = new ArrayList<>(sc.parallelize(wire, tasks).mapPartitions(part -> share(model, ws, opt, part)).collect());
        return new Evaluator.Result(summary(out, opt.samples()), out);
    }

    /** One task: a contiguous run of problems, evaluated with the sample seeds they have in the whole set. */
    static Iterator<Evaluator.ProblemResult> share(ModelSpec m, WireSteering ws, Evaluator.Options opt, Iterator<WireProblem> part) {
        WireProblem.Run run = WireProblem.run(part);
        List<Problem> problems = run.problems();
        int first = run.first();
        if (problems.isEmpty()) return List.<Evaluator.ProblemResult>of().iterator();
        Checkpoint loaded = m.load();
        Evaluator ev = new Evaluator(loaded.model(), loaded.tokenizer(), m.prompts(loaded));
        // the Evaluator numbers problems from 0; shifting the seed makes local index i draw problem first+i's samples
        Evaluator.Options shifted = new Evaluator.Options(opt.samples(), opt.temperature(), opt.maxNewTokens(), shiftedSeed(opt.seed(), first), opt.batch());
        return ev.evaluate(problems, ws == null ? null : ws.steering(), shifted, false).problems().iterator();
    }

    /**
     * A seed s' with {@code sampleSeed(s', i, k) == sampleSeed(s, offset + i, k)} for every i and k:
     * {@link RolloutStep#sampleSeed} mixes {@code s*C1 + item*C2 + sample*C3} (mod 2^64) and C1 is odd, hence
     * invertible, so s' = s + offset*C2*C1^-1. A test checks the identity against sampleSeed itself.
     */
    static long shiftedSeed(long seed, long offset) {
        final long c1 = 0x9E3779B97F4A7C15L, c2 = 0xC2B2AE3D27D4EB4FL;
        long inv = c1; // Newton's iteration for the inverse mod 2^64: each round doubles the correct low bits
        for (int i = 0; i < 6; i++) inv *= 2 - c1 * inv;
        return seed + offset * c2 * inv;
    }

    /** The summary as Evaluator computes it. */
    static Evaluator.Summary summary(List<Evaluator.ProblemResult> out, int samples) {
        return Evaluator.Summary.of(out, samples);
    }
}
