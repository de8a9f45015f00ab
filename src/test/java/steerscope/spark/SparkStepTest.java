package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.StepMetrics;
import steerscope.rl.Trainer;

/**
 * A few RL steps with the rollouts and gradients on Spark (local[2], two tasks a step) against the same run on
 * one machine: same samples (metrics equal), vectors equal up to float summation order. A task that fails on its
 * first attempt is retried by Spark and the result does not change.
 */
class SparkStepTest {
    /** Max |difference| of the final vectors relative to their largest component; measured ~1e-7 (float rounding). */
    static final float TOLERANCE = 1e-5f;

    @Test
    void sparkStepsEqualTheSingleMachineRunAndSurviveAFailedTask(@TempDir Path dir) {
        SparkTestKit kit = new SparkTestKit(dir, 5);
        RlConfig cfg = SparkTestKit.config(4);
        RewardFactory.Rewards r = SparkTestKit.rewards().create();

        Policy single = kit.policy();
        List<StepMetrics> m1 = new Trainer(cfg, single, kit.problems, r.reward(), r.correctness(), dir.resolve("single"), Map.of()).run(false);

        Policy spark = kit.policy(), retried = kit.policy();
        List<StepMetrics> m2, m3;
        int loadsBefore = ModelSpec.loads();
        // local[2,4]: two executor threads, and up to 4 attempts per task (plain local mode never retries)
        try (JavaSparkContext sc = SparkContexts.start("local[2,4]", "test", SparkTestKit.loopback())) {
            Trainer t = new Trainer(cfg, spark, kit.problems, r.reward(), r.correctness(), dir.resolve("spark"), Map.of());
            SparkStep step = new SparkStep(sc, kit.spec, SparkTestKit.rewards(), cfg, spark.vectors, kit.model.config, 2);
            t.setStepFunction(step);
            m2 = t.run(false);
            assertEquals(2, step.lastTraffic().tasks());

            int failuresBefore = SparkStep.INJECTED_FAILURES.get();
            sc.setLocalProperty(SparkStep.FAIL_FIRST_ATTEMPT, "true");
            Trainer t3 = new Trainer(cfg, retried, kit.problems, r.reward(), r.correctness(), dir.resolve("retried"), Map.of());
            t3.setStepFunction(new SparkStep(sc, kit.spec, SparkTestKit.rewards(), cfg, retried.vectors, kit.model.config, 2));
            m3 = t3.run(false);
            assertEquals(cfg.steps(), SparkStep.INJECTED_FAILURES.get() - failuresBefore, "partition 0 failed once every step");
        }
        assertEquals(1, ModelSpec.loads() - loadsBefore, "the executor JVM loads the model once for all tasks and steps");

        float diff = SparkTestKit.maxAbsDiff(single.vectors, spark.vectors), scale = SparkTestKit.maxAbs(single.vectors);
        System.out.printf("max |spark - single| = %.3g, max |v| = %.3g, relative %.3g%n", diff, scale, diff / scale);
        assertTrue(scale > 0.01, "the vectors moved: the test compares something");
        assertTrue(diff <= TOLERANCE * scale, "spark vs single machine: " + diff / scale);
        for (int s = 0; s < cfg.steps(); s++) {
            StepMetrics a = m1.get(s), b = m2.get(s);
            assertEquals(a.rewardMean(), b.rewardMean(), "step " + s);
            assertEquals(a.accuracy(), b.accuracy(), "step " + s);
            assertEquals(a.responseLength(), b.responseLength(), "step " + s);
            assertEquals(a.zeroAdvantageGroups(), b.zeroAdvantageGroups(), "step " + s);
            assertEquals(a.groups(), b.groups(), "step " + s);
            assertEquals(a.gradNorm(), b.gradNorm(), 1e-5 * a.gradNorm());
        }
        // two shards sum the same in either order, so the retried run is the same bits
        for (int l : spark.vectors.layers()) assertArrayEquals(spark.vectors.get(l), retried.vectors.get(l), 0f, "layer " + l);
        for (int s = 0; s < cfg.steps(); s++) assertEquals(m2.get(s).rewardMean(), m3.get(s).rewardMean());
    }

    @Test
    void benchComparesTheSameStepsAndCountsTheBytes(@TempDir Path dir) {
        SparkTestKit kit = new SparkTestKit(dir, 4);
        SparkBench.Result r = SparkBench.compare("local[2]", kit.spec, kit.problems, SparkBench.config(4, 4, 3, 1), 1, 2);
        System.out.println(r.row());
        int L = kit.model.config.nLayers(), d = kit.model.config.hiddenSize();
        assertEquals(2, r.tasks());
        assertTrue(r.broadcastBytes() >= 4L * L * d, "the vectors are broadcast: " + r.broadcastBytes());
        assertTrue(r.resultBytes() >= 2 * 8L * L * d, "each task returns a gradient of every layer's vector in double: " + r.resultBytes());
        assertTrue(r.maxGradientDifference() <= TOLERANCE, "same steps, same gradients: " + r.maxGradientDifference());
        assertTrue(r.singleSecondsPerStep() > 0 && r.sparkSecondsPerStep() > 0);
    }

    @Test
    void shiftedSeedGivesTheSampleSeedsOfTheWholeSet() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int t = 0; t < 1000; t++) {
            long seed = rnd.nextLong();
            int offset = rnd.nextInt(1 << 20), i = rnd.nextInt(1000), k = rnd.nextInt(64);
            assertEquals(RolloutStep.sampleSeed(seed, offset + i, k),
                    RolloutStep.sampleSeed(SparkEval.shiftedSeed(seed, offset), i, k));
        }
    }
}
