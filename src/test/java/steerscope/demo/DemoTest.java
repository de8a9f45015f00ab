package steerscope.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;

/** `./steerscope demo --quick` end to end: the files it promises, the shape of summary.json, and that RL helped. */
class DemoTest {
    @Test
    void quickDemoRunsEndToEnd(@TempDir Path tmp) {
        Path out = tmp.resolve("demo");
        int code = Main.run("demo", "--quick", "--out", out.toString(), "--cache", Path.of("target", "organism-cache").toAbsolutePath().toString());
        assertEquals(0, code);
        JsonNode s = Json.read(out.resolve("summary.json"));
        for (String f : List.of("base_accuracy", "vectors_accuracy", "full_finetune_accuracy", "recovered_fraction", "n_test",
                "trainable_parameters", "first_token", "seeds", "stage_seconds", "analysis")) {
            assertTrue(s.has(f), "summary.json lacks " + f);
        }
        assertTrue(s.get("n_test").asInt() > 0);
        assertEquals(10, s.get("first_token").get("base").size());
        assertEquals(10, s.get("first_token").get("steered").size());
        assertTrue(s.get("trainable_parameters").get("vectors").asLong() < s.get("trainable_parameters").get("full").asLong());
        double base = s.get("base_accuracy").asDouble();
        System.out.println("quick demo: " + s);
        assertTrue(s.get("vectors_accuracy").asDouble() > base, "RL on the vectors must raise accuracy above the base's " + base);
        assertTrue(s.get("full_finetune_accuracy").asDouble() > base, "the full fine-tune must raise accuracy above the base's " + base);
        for (String f : List.of("report.html", "runs/vectors/metrics.jsonl", "runs/full/metrics.jsonl", "runs/vectors/vectors.safetensors",
                "ablations.json", "path_patching.json", "eval/base.jsonl")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
        }
    }
}
