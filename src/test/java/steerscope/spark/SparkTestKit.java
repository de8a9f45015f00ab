package steerscope.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.model.Model;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.TinyPolicy;
import steerscope.rl.Trainer;
import steerscope.rl.reward.Reward;
import steerscope.steer.SteeringVectors;
import steerscope.task.Problem;

/** The tiny random Qwen2 model of the RL tests, saved as a real checkpoint directory that executors load. */
final class SparkTestKit {
    final Path modelDir;
    final Model model;
    final ModelSpec spec;
    final List<Problem> problems = new ArrayList<>();

    SparkTestKit(Path dir, long seed) {
        TinyPolicy tiny = new TinyPolicy(dir, seed);
        modelDir = dir.resolve("model");
        Trainer.saveModel(tiny.vectors(), modelDir); // config.json, model.safetensors, tokenizer.json
        model = Model.load(modelDir);
        spec = ModelSpec.of(modelDir, "{question}", null, true);
        String[] qs = {"Say something.", "Please answer now.", "What comes first?", "Reply with one letter."};
        for (int i = 0; i < 8; i++) problems.add(new Problem("p" + i, qs[i % qs.length] + (i >= 4 ? " Again." : ""), "a"));
    }

    /** The same policy as the executors build, on the driver's own copy of the model. */
    Policy policy() {
        var loaded = new ModelSpec.Loaded(model, steerscope.tokenizer.Tokenizer.load(modelDir.resolve("tokenizer.json")), null);
        return Policy.ofVectors(model, SteeringVectors.zeros(model.config.nLayers(), model.config.hiddenSize(), null),
                loaded.tokenizer(), spec.prompts(loaded));
    }

    static RlConfig config(int steps) {
        return RlConfig.paper("vectors").with(Map.of("group", 4, "promptsPerStep", 6, "steps", steps, "lr", 0.05,
                "maxNewTokens", 3, "microBatch", 5, "checkpointEvery", 2, "seed", 11));
    }

    /** 1 when the completion starts with a lowercase letter: about one sample in ten of the random model, so groups differ. */
    static final class LowercaseFirst implements Reward {
        @Override
        public String name() {
            return "lowercase_first";
        }

        @Override
        public double score(Problem p, String completion) {
            return !completion.isEmpty() && Character.isLowerCase(completion.charAt(0)) ? 1 : 0;
        }
    }

    static RewardFactory rewards() {
        return () -> new RewardFactory.Rewards(new LowercaseFirst(), new LowercaseFirst());
    }

    /** Driver settings for tests: loopback only, no UI. */
    static Map<String, String> loopback() {
        return Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1", "spark.ui.enabled", "false");
    }

    static float maxAbsDiff(SteeringVectors a, SteeringVectors b) {
        float m = 0;
        for (int l : a.layers()) for (int i = 0; i < a.dModel(); i++) m = Math.max(m, Math.abs(a.get(l)[i] - b.get(l)[i]));
        return m;
    }

    static float maxAbs(SteeringVectors a) {
        float m = 0;
        for (int l : a.layers()) for (float x : a.get(l)) m = Math.max(m, Math.abs(x));
        return m;
    }
}
