package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.AdaptiveScale;
import steerscope.model.HfModelExport;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;

/** experiment adaptive end to end on a tiny model, and its refusals of bad input (exit 2, one line, nothing written). */
class AdaptiveCommandTest {
    @TempDir static Path tmp;

    private static Path setUp() throws Exception {
        Path model = tmp.resolve("model");
        if (!Files.isDirectory(model)) {
            TinyPolicy tiny = new TinyPolicy(tmp, 5);
            HfModelExport.write(tiny.vectors().model, model);
            Files.writeString(tmp.resolve("data.jsonl"), """
                    {"question": "Say something.", "answer": "7"}
                    {"question": "Please answer now.", "answer": "7"}
                    {"question": "What comes first?", "answer": "7"}
                    {"question": "Reply with one letter.", "answer": "7"}
                    """);
        }
        return model;
    }

    private static String[] args(Path model, Path out, String... more) {
        String data = tmp.resolve("data.jsonl").toString();
        String[] base = {"experiment", "adaptive", "--model", model.toString(), "--data", data, "--train-data", data, "--out", out.toString(),
                "--steps", "3", "--group", "4", "--prompts-per-step", "4", "--samples", "4", "--scale-samples", "8",
                "--max-new-tokens", "3", "--lr", "0.05", "--template", "{question}", "--no-chat"};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void trainsBothRunsAndWritesAdaptiveJson() throws Exception {
        Path model = setUp(), out = tmp.resolve("exp");
        CliTest.Run r = CliTest.run(args(model, out));
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.read(out.resolve("adaptive.json"));
        for (String c : new String[] {"plain", "adaptive"}) {
            double acc = j.path("accuracy").path(c).path("accuracy").asDouble(-1);
            assertTrue(acc >= 0 && acc <= 1, c + " accuracy " + acc);
        }
        assertTrue(j.path("accuracy").path("adaptive_minus_plain").path("ci").isArray());
        JsonNode layers = j.path("scale").path("layers");
        assertEquals(2, layers.size(), "one row per layer with a vector");
        // the adaptive run wrote its scale (whether it moves depends on the rewards varying, which this tiny model
        // does not promise), the report rows are that scale, read on prompt and generated tokens
        AdaptiveScale s = AdaptiveScale.read(out.resolve("runs/adaptive").resolve(AdaptiveScale.FILE), 2, 32);
        assertEquals(3, Files.readAllLines(out.resolve("runs/adaptive/metrics.jsonl")).size(), "one metrics line per step");
        for (JsonNode l : layers) {
            assertEquals(s.b[l.path("layer").asInt()], l.path("b").floatValue());
            assertTrue(l.path("mean_s").path("prompt").path("value").isNumber() && l.path("mean_s").path("generated").path("value").isNumber(), l.toString());
        }
        assertTrue(Files.readString(out.resolve("report.html")).contains("adaptive token-wise scale"));
        // the plain run trained only vectors: no scale file
        assertFalse(Files.exists(out.resolve("runs/plain").resolve(AdaptiveScale.FILE)));
    }

    @Test
    void badInputIsOneClearLineAndExitTwo() throws Exception {
        Path model = setUp();
        Path wrong = tmp.resolve("wrong.safetensors");
        VectorFiles.write(SteeringVectors.zeros(3, 32, null), wrong);
        Path out = tmp.resolve("bad-vectors");
        CliTest.Run r = CliTest.run(args(model, out, "--vectors", wrong.toString()));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("wrong.safetensors") && r.err().strip().lines().count() == 1, r.err());
        assertFalse(Files.exists(out.resolve("adaptive.json")) || Files.exists(out.resolve("runs")), "nothing is written on bad input");

        r = CliTest.run(args(model, tmp.resolve("bad-limit"), "--limit", "0"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--limit") && r.err().strip().lines().count() == 1, r.err());
    }
}
