package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.VectorPositions;
import steerscope.rl.Evaluator;

/** eval on Spark writes the same files, byte for byte, as eval on one machine (greedy and sampled, with steering). */
class SparkEvalTest {
    @Test
    void sparkEvalWritesTheSameFilesAsTheSingleMachineEval(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 6);
        SteeringVectors v = new SteeringVectors(kit.model.config.nLayers(), kit.model.config.hiddenSize());
        SplittableRandom r = new SplittableRandom(1);
        float[] v1 = new float[v.dModel()];
        for (int i = 0; i < v1.length; i++) v1[i] = (float) r.nextGaussian();
        v.set(1, v1);
        Steering steering = new Steering(v, 0.7f, VectorPositions.GENERATED, null);
        // batches of 3 cut the 8 problems differently from the 3 partitions (3, 3, 2): sampled seeds must follow the problem
        Evaluator.Options opt = new Evaluator.Options(3, 1.0f, 4, 42, 3);

        Evaluator.Result single = new Evaluator(kit.model, kit.policy().tokenizer, kit.policy().prompts).evaluate(kit.problems, steering, opt, false);
        Evaluator.Result spark;
        try (JavaSparkContext sc = SparkContexts.start("local[2]", "test", SparkTestKit.loopback())) {
            spark = SparkEval.evaluate(sc, kit.spec, kit.problems, steering, opt, 3);
        }
        Evaluator.write(single, dir.resolve("single.jsonl"));
        Evaluator.write(spark, dir.resolve("spark.jsonl"));
        assertEquals(Files.readString(dir.resolve("single.jsonl")), Files.readString(dir.resolve("spark.jsonl")));
        assertEquals(Files.readString(dir.resolve("single.summary.json")), Files.readString(dir.resolve("spark.summary.json")));
        assertEquals(kit.problems.size(), Files.readAllLines(dir.resolve("spark.jsonl")).size());
        // the sampled completions differ between problems: the seeds are not all the same
        assertTrue(spark.problems().stream().map(p -> p.samples().get(0)).distinct().count() > 1);
    }
}
