package steerscope.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.model.Checkpoint;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
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

    /** Steering as shipped to executors (vectors as arrays, positions by name). */
    record WireSteering(float[][] vectors, int dModel, float scale, VectorPositions positions, boolean[] enabled) implements Serializable {
        static WireSteering of(Steering s) {
            if (s == null) return null;
            SteeringVectors v = s.vectors();
            float[][] a = new float[v.nLayers()][];
            for (int l : v.layers()) a[l] = v.get(l).clone();
            return new WireSteering(a, v.dModel(), s.scale(), s.positions(), s.layerEnabled());
        }

        Steering steering() {
            SteeringVectors v = new SteeringVectors(vectors.length, dModel);
            for (int l = 0; l < vectors.length; l++) if (vectors[l] != null) v.set(l, vectors[l]);
            return new Steering(v, scale, positions, enabled);
        }
    }

    /** Evaluator.Options, serializable. */
    record WireOptions(int samples, float temperature, int maxNewTokens, long seed, int batch) implements Serializable {}

    /** Evaluator.ProblemResult, serializable. */
    record WireResult(String id, String question, String answer, String greedy, boolean greedyCorrect, int greedyTokens,
                      List<String> samples, double sampleAccuracy) implements Serializable {
        static WireResult of(Evaluator.ProblemResult r) {
            return new WireResult(r.id(), r.question(), r.answer(), r.greedy(), r.greedyCorrect(), r.greedyTokens(),
                    new ArrayList<>(r.samples()), r.sampleAccuracy());
        }

        Evaluator.ProblemResult result() {
            return new Evaluator.ProblemResult(id, question, answer, greedy, greedyCorrect, greedyTokens, samples, sampleAccuracy);
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
        WireOptions wo = new WireOptions(opt.samples(), opt.temperature(), opt.maxNewTokens(), opt.seed(), opt.batch());
        List<WireResult> results = sc.parallelize(wire, tasks).mapPartitions(part -> share(model, ws, wo, part)).collect();
        List<Evaluator.ProblemResult> out = new ArrayList<>();
        for (WireResult r : results) out.add(r.result());
        return new Evaluator.Result(summary(out, opt.samples()), out);
    }

    /** One task: a contiguous run of problems, evaluated with the sample seeds they have in the whole set. */
    static Iterator<WireResult> share(ModelSpec m, WireSteering ws, WireOptions wo, Iterator<WireProblem> part) {
        WireProblem.Run run = WireProblem.run(part);
        List<Problem> problems = run.problems();
        int first = run.first();
        if (problems.isEmpty()) return List.<WireResult>of().iterator();
        Checkpoint loaded = m.load();
        Evaluator ev = new Evaluator(loaded.model(), loaded.tokenizer(), m.prompts(loaded));
        // the Evaluator numbers problems from 0; shifting the seed makes local index i draw problem first+i's samples
        Evaluator.Options opt = new Evaluator.Options(wo.samples(), wo.temperature(), wo.maxNewTokens(), shiftedSeed(wo.seed(), first), wo.batch());
        Evaluator.Result r = ev.evaluate(problems, ws == null ? null : ws.steering(), opt, false);
        List<WireResult> out = new ArrayList<>();
        for (Evaluator.ProblemResult p : r.problems()) out.add(WireResult.of(p));
        return out.iterator();
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
