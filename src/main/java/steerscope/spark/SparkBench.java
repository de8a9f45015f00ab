package steerscope.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import steerscope.model.Checkpoint;
import steerscope.model.Gradients;
import steerscope.model.SteeringVectors;
import steerscope.organism.OrganismConfig;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.Trainer;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.task.Problem;
import steerscope.task.synth.HeldOutSplit;

/**
 * Times the same RL steps (rollouts + gradient, fixed vectors, correctness reward) on one machine and on Spark,
 * and reports the payload moved per step. For {@code bench --spark MASTER}; Spark loads only when this is called.
 */
public final class SparkBench {
    private SparkBench() {}

    /**
     * @param singleSecondsPerStep mean over the timed steps, after one untimed warm-up step (JIT, model pages)
     * @param sparkSecondsPerStep the same steps through {@link SparkStep}, after its own warm-up step (executor start, model load)
     * @param overhead sparkSecondsPerStep / singleSecondsPerStep - 1 (negative when Spark's parallel tasks win)
     * @param broadcastBytes per step and executor: the vectors, step seed and config (Java serialization, before compression)
     * @param resultBytes per step: every task's gradient shard
     * @param maxGradientDifference max |spark - single| of the summed gradients over all steps, relative to their largest component
     */
    public record Result(String master, int tasks, int steps, double singleSecondsPerStep, double sparkSecondsPerStep, double overhead,
                         long broadcastBytes, long resultBytes, double maxGradientDifference) {
        public String row() {
            return String.format(Locale.ROOT, "spark %s: %d tasks, step %.3f s vs %.3f s on one machine (overhead %+.1f%%), "
                            + "%,d B broadcast + %,d B gradients per step, max relative gradient difference %.1e",
                    master, tasks, sparkSecondsPerStep, singleSecondsPerStep, 100 * overhead, broadcastBytes, resultBytes, maxGradientDifference);
        }
    }

    /**
     * @param model the model directory and prompt format (the executors load it from the same path)
     * @param problems the steps take consecutive prompts from here (wrapping around)
     * @param cfg group, prompts per step, max new tokens, temperature, loss, layers and seed are used
     * @param partitions tasks per step; 0: Spark's default parallelism
     */
    public static Result compare(String master, ModelSpec model, List<Problem> problems, RlConfig cfg, int steps, int partitions) {
        if (cfg.full()) throw new IllegalArgumentException("Spark benchmarks steering vectors only");
        Checkpoint loaded = model.load();
        SteeringVectors vectors = SteeringVectors.zeros(loaded.model().config.nLayers(), loaded.model().config.hiddenSize(), cfg.layers());
        Policy policy = Policy.ofVectors(loaded.model(), vectors, loaded.tokenizer(), model.prompts(loaded));
        boolean boxedOnly = cfg.boxedOnly();
        double negReward = cfg.negReward();
        RolloutStep rollout = new RolloutStep(cfg, CorrectnessReward.of(boxedOnly, negReward), CorrectnessReward.of(boxedOnly, negReward));
        RewardFactory rewards = () -> new RewardFactory.Rewards(CorrectnessReward.of(boxedOnly, negReward), CorrectnessReward.of(boxedOnly, negReward));

        List<float[][]> singleGrads = new ArrayList<>();
        double single = 0;
        for (int s = -1; s < steps; s++) { // step -1: warm-up
            long t0 = System.nanoTime();
            RolloutStep.Contribution c = rollout.gradient(policy, rollout.sample(policy, items(problems, cfg, s + 1), seed(cfg, s + 1)), null);
            if (s >= 0) {
                single += (System.nanoTime() - t0) / 1e9;
                singleGrads.add(c.grads.vectors);
            }
        }
        double spark = 0, maxDiff = 0;
        SparkStep.Traffic traffic;
        try (JavaSparkContext sc = SparkContexts.start(master, "steerscope bench")) {
            SparkStep step = new SparkStep(sc, model, rewards, cfg, vectors, loaded.model().config, partitions);
            for (int s = -1; s < steps; s++) {
                long t0 = System.nanoTime();
                RolloutStep.Contribution c = step.compute(items(problems, cfg, s + 1), seed(cfg, s + 1), new Gradients(loaded.model().config, false));
                if (s >= 0) {
                    spark += (System.nanoTime() - t0) / 1e9;
                    maxDiff = Math.max(maxDiff, relativeDifference(singleGrads.get(s), c.grads.vectors));
                }
            }
            traffic = step.lastTraffic();
        }
        single /= steps;
        spark /= steps;
        return new Result(master, traffic.tasks(), steps, single, spark, spark / single - 1, traffic.broadcastBytes(), traffic.resultBytes(), maxDiff);
    }

    private static List<RolloutStep.Item> items(List<Problem> problems, RlConfig cfg, int step) {
        List<RolloutStep.Item> items = new ArrayList<>();
        for (int i = 0; i < cfg.promptsPerStep(); i++) items.add(new RolloutStep.Item(i, problems.get((step * cfg.promptsPerStep() + i) % problems.size())));
        return items;
    }

    private static long seed(RlConfig cfg, int step) {
        return Trainer.stepSeed(cfg.seed(), step);
    }

    private static double relativeDifference(float[][] a, float[][] b) {
        double diff = 0, scale = 0;
        for (int l = 0; l < a.length; l++) {
            for (int i = 0; i < a[l].length; i++) {
                diff = Math.max(diff, Math.abs(a[l][i] - b[l][i]));
                scale = Math.max(scale, Math.abs(a[l][i]));
            }
        }
        return scale == 0 ? diff : diff / scale;
    }

    /**
     * The bench row of issue 9: on the organism (or any model answering "Question: ...\nAnswer:" prompts)
     * at the paper's 16 prompts x 16 samples, Spark's step against the single-machine step on the same work.
     */
    public static Result organismRow(String master, Path modelDir, int steps) {
        HeldOutSplit split = new HeldOutSplit(OrganismConfig.TASK);
        List<Problem> problems = new ArrayList<>();
        split.trainStream(11).limit(16L * (steps + 1)).forEach(p ->
                problems.add(new Problem("b" + problems.size(), p.question(), String.valueOf(p.answer()))));
        return compare(master, ModelSpec.of(modelDir, "{question}", null, false), problems, config(16, 16, 96, 0), steps, 0);
    }

    /** A bench configuration: the paper's recipe with these sizes. */
    public static RlConfig config(int group, int promptsPerStep, int maxNewTokens, long seed) {
        return RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().group(group).promptsPerStep(promptsPerStep).maxNewTokens(maxNewTokens).seed(seed).build();
    }
}
