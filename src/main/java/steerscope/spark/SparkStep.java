package steerscope.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import steerscope.model.Checkpoint;
import steerscope.model.Gradients;
import steerscope.model.ModelConfig;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.Trainer;

/**
 * One RL step on Spark, as the trainer's {@link Trainer.StepFunction}: the driver broadcasts the current vectors
 * and the step seed, the step's prompts (one prompt = one group) are split into contiguous partitions, each
 * task samples, scores and back-propagates its prompts on its executor's memory-mapped model and returns a
 * {@link GradientShard}; {@code treeAggregate} sums the shards. The driver's trainer then normalises, clips,
 * takes the AdamW step and writes metrics and checkpoints exactly as on one machine.
 *
 * <p>Sampling seeds depend on (step seed, prompt index, sample index) only, so the result equals the
 * single-machine step up to float summation order, whichever executor (or retry) ran a prompt.
 */
public final class SparkStep implements Trainer.StepFunction {
    /** Local property (tests): when "true", the first attempt of partition 0 throws, so Spark must retry it. */
    public static final String FAIL_FIRST_ATTEMPT = "steerscope.test.failFirstAttempt";

    /** What is broadcast each step: the vectors, the step seed, the config. */
    record StepInput(WireVectors vectors, long stepSeed, RlConfig config) implements Serializable {}

    /** Payload bytes of the last step (Java serialization, before Spark's compression). */
    public record Traffic(long broadcastBytes, long resultBytesPerTask, int tasks) {
        public long resultBytes() {
            return resultBytesPerTask * tasks;
        }
    }

    private final JavaSparkContext sc;
    private final ModelSpec model;
    private final RewardFactory rewards;
    private final RlConfig cfg;
    private final SteeringVectors vectors; // the driver's live vectors, which the trainer's AdamW updates in place
    private final ModelConfig config;
    private final boolean[] hasVector;
    private final int partitions;
    private volatile Traffic last;

    /**
     * @param partitions tasks per step (at most one per prompt); 0: Spark's default parallelism (its cores)
     */
    public SparkStep(JavaSparkContext sc, ModelSpec model, RewardFactory rewards, RlConfig cfg, SteeringVectors vectors,
                     ModelConfig config, int partitions) {
        if (cfg.full()) throw new IllegalArgumentException("Spark trains steering vectors only");
        this.sc = sc;
        this.model = model;
        this.rewards = rewards;
        this.cfg = cfg;
        this.vectors = vectors;
        this.config = config;
        this.hasVector = new boolean[vectors.nLayers()];
        for (int l : vectors.layers()) hasVector[l] = true;
        this.partitions = partitions > 0 ? partitions : sc.defaultParallelism();
    }

    @Override
    public RolloutStep.Contribution compute(List<RolloutStep.Item> items, long stepSeed, Gradients into) {
        StepInput input = new StepInput(WireVectors.of(vectors), stepSeed, cfg);
        Broadcast<StepInput> b = sc.broadcast(input);
        try {
            List<WireProblem> wire = new ArrayList<>();
            for (RolloutStep.Item it : items) wire.add(WireProblem.of(it.index(), it.problem()));
            int tasks = Math.max(1, Math.min(wire.size(), partitions));
            // locals, so the closures capture these serializable values and not this driver-side object
            ModelSpec m = model;
            RewardFactory rf = rewards;
            boolean[] has = hasVector;
            GradientShard zero = new GradientShard(has, config.hiddenSize());
            GradientShard sum = sc.parallelize(wire, tasks)
                    .mapPartitions(part -> List.of(shard(m, rf, b.value(), has, part)).iterator())
                    .treeAggregate(zero, GradientShard::add, GradientShard::add);
            last = new Traffic(serializedSize(input), serializedSize(zero), tasks);
            return sum.toContribution(into);
        } finally {
            b.destroy();
        }
    }

    /** Payload bytes of the last step's broadcast and task results; null before the first step. */
    public Traffic lastTraffic() {
        return last;
    }

    /** One task: its prompts' rollouts and gradient on this executor's model. */
    static GradientShard shard(ModelSpec m, RewardFactory rf, StepInput in, boolean[] has, Iterator<WireProblem> part) {
        failFirstAttemptIfAsked();
        Checkpoint loaded = m.load();
        // the vectors are read only: shared by the tasks of this JVM
        Policy policy = Policy.ofVectors(loaded.model(), in.vectors().vectors(), loaded.tokenizer(), m.prompts(loaded));
        List<RolloutStep.Item> items = new ArrayList<>();
        part.forEachRemaining(w -> items.add(new RolloutStep.Item(w.index(), w.problem())));
        RewardFactory.Rewards r = rf.create();
        RolloutStep step = new RolloutStep(in.config(), r.reward(), r.correctness());
        RolloutStep.Contribution c = step.gradient(policy, step.sample(policy, items, in.stepSeed()), null);
        return GradientShard.of(c, has);
    }

    static final AtomicInteger INJECTED_FAILURES = new AtomicInteger(); // in this JVM

    static void failFirstAttemptIfAsked() {
        TaskContext tc = TaskContext.get();
        if (tc != null && "true".equals(tc.getLocalProperty(FAIL_FIRST_ATTEMPT)) && tc.partitionId() == 0 && tc.attemptNumber() == 0) {
            INJECTED_FAILURES.incrementAndGet();
            throw new IllegalStateException("injected failure: partition 0, attempt 0 (test)");
        }
    }

    static long serializedSize(Object o) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.size();
    }
}
