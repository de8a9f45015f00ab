package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.rl.TinyPolicy;
import steerscope.task.PromptTemplate;

/**
 * Default --max-new-tokens on a model with 256 positions (less than eval's and train's default 512): the default
 * shrinks to what the context leaves after the longest prompt and says so; an explicit impossible value is an error.
 */
class DefaultsFitTheModelTest {
    @TempDir
    static Path tmp;
    static Path model, data;

    @BeforeAll
    static void checkpoint() throws Exception {
        TinyPolicy tiny = new TinyPolicy(tmp, 5);
        model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
        data = tmp.resolve("data.jsonl");
        Files.write(data, List.of("{\"question\":\"Say something.\",\"answer\":\"A\"}", "{\"question\":\"Please answer now.\",\"answer\":\"B\"}"));
    }

    private static int promptTokens(String question) throws Exception {
        // the default template, as the commands build it
        CliTest.Run r = CliTest.run("tokenize", "--model", model.toString(), "--json", "--text",
                PromptTemplate.DEFAULT_TEMPLATE.replace("{question}", question));
        assertEquals(0, r.code(), r.err());
        return Json.MAPPER.readTree(r.out()).get("ids").size();
    }

    @Test
    void evalDefaultClampsToTheRoomTheContextLeaves() throws Exception {
        int longest = Math.max(promptTokens("Say something."), promptTokens("Please answer now."));
        Path out = tmp.resolve("eval.jsonl");
        CliTest.Run r = CliTest.run("eval", "--model", model.toString(), "--data", data.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        int room = 256 - longest;
        assertTrue(r.err().contains("--max-new-tokens: " + room + " (the default 512 does not fit: the model has 256 positions and the longest prompt "
                + longest + " tokens)"), r.err());
        for (String line : Files.readAllLines(out)) {
            JsonNode j = Json.MAPPER.readTree(line);
            assertTrue(j.get("greedyTokens").asInt() <= room, line);
        }
    }

    @Test
    void explicitImpossibleValueIsAnError() {
        CliTest.Run r = CliTest.run("eval", "--model", model.toString(), "--data", data.toString(), "--out", tmp.resolve("x.jsonl").toString(),
                "--max-new-tokens", "512");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--max-new-tokens 512 leaves no room for a prompt in the model's 256 positions"), r.err());
        assertTrue(!Files.exists(tmp.resolve("x.jsonl")));
    }

    @Test
    void generateAndTrainDefaultsRunOnAShortContext() throws Exception {
        CliTest.Run g = CliTest.run("generate", "--model", model.toString(), "--prompt", "Say something.", "--max-new-tokens", "300");
        assertEquals(2, g.code(), "an explicit 300 cannot fit 256 positions: " + g.err());
        // generate's default (128) fits; train's (512) does not and is clamped
        assertEquals(0, CliTest.run("generate", "--model", model.toString(), "--prompt", "Say something.").code());
        CliTest.Run t = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--out", tmp.resolve("run").toString(),
                "--steps", "1", "--group", "2", "--prompts-per-step", "1", "--micro-batch", "2");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("--max-new-tokens: ") && t.err().contains("the default 512 does not fit"), t.err());
    }
}
