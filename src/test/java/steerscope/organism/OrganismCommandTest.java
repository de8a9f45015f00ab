package steerscope.organism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.model.Model;

/** `./steerscope organism`: a (very short) pretraining through the CLI writes a checkpoint every command loads. */
class OrganismCommandTest {
    @Test
    void organismCommandWritesALoadableCheckpoint(@TempDir Path tmp) {
        Path out = tmp.resolve("org");
        int code = Main.run("organism", "--quick", "--out", out.toString(), "--seed", "5", "--set", "steps=4", "--set", "documents=300",
                "--set", "tokenizerDocs=300", "--set", "evalProblems=4");
        assertEquals(0, code);
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "organism.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(5, Json.read(out.resolve("organism.json")).get("config").get("seed").asInt());
        try (Model m = Model.load(out)) {
            assertEquals("Qwen2ForCausalLM", m.config.architecture());
        }
        assertEquals(0, Main.run("inspect", "--model", out.toString()));
    }

    @Test
    void aBadOverrideIsAUserError(@TempDir Path tmp) {
        assertEquals(2, Main.run("organism", "--out", tmp.resolve("o").toString(), "--set", "steps=-1"));
    }
}
