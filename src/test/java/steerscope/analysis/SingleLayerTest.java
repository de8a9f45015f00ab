package steerscope.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.rl.RlConfig;
import steerscope.rl.TinyPolicy;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;

/**
 * The per-layer sweep on a task with a known answer: the tiny model must open with '7' (the answer). Each
 * single-layer vector is trained alone on its layer and must beat the base model's sampled accuracy.
 */
class SingleLayerTest {
    @Test
    void eachSingleLayerVectorLearnsTheAnswerAlone(@TempDir Path dir) throws Exception {
        TinyPolicy tiny = new TinyPolicy(dir, 1);
        List<Problem> problems = new ArrayList<>();
        String[] qs = {"Say something.", "Please answer now.", "What comes first?", "Reply with one letter."};
        for (int i = 0; i < qs.length; i++) problems.add(new Problem("p" + i, qs[i], "7"));
        Reward opensWithSeven = new Reward() {
            @Override
            public String name() {
                return "opens_with_7";
            }

            @Override
            public double score(Problem p, String completion) {
                return completion.startsWith("7") ? 1 : 0;
            }
        };
        RlConfig recipe = RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().group(8).promptsPerStep(4).steps(25).lr(0.1).maxNewTokens(1).checkpointEvery(5).seed(3).build();
        SingleLayer.Setup s = new SingleLayer.Setup(tiny.model, tiny.tokenizer, tiny.prompts, problems, problems, recipe, opensWithSeven,
                new Sampled.Options(16, 1, 64, 4));
        List<SingleLayer.Run> runs = SingleLayer.sweep(s, new int[] {0, 1}, dir.resolve("runs"), dir.resolve("out"));
        JsonNode out = Json.read(dir.resolve("out/single_layer.json"));
        double baseHi = out.path("base").path("ci").get(1).asDouble();
        for (int i = 0; i < 2; i++) {
            SingleLayer.Run r = runs.get(i);
            assertArrayEquals(new int[] {i}, r.vectors().layers(), "a vector on its own layer only");
            assertTrue(r.accuracy()[1] > baseHi, "layer " + i + ": " + r.accuracy()[0] + " vs base below " + baseHi);
            JsonNode row = out.path("layers").get(i);
            assertEquals(i, row.path("layer").asInt());
            assertTrue(row.path("gain_over_base").path("ci").get(0).asDouble() > 0);
        }
        // a finished run is read back, not retrained: its metrics are untouched
        Path metrics = dir.resolve("runs/layer-1/metrics.jsonl");
        String before = Files.readString(metrics);
        SingleLayer.Run again = SingleLayer.sweep(s, new int[] {1}, dir.resolve("runs"), dir.resolve("out2")).get(0);
        assertEquals(before, Files.readString(metrics));
        assertArrayEquals(runs.get(1).vectors().get(1), again.vectors().get(1));
    }
}
