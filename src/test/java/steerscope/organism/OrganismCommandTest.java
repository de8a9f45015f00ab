package steerscope.organism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
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

    /**
     * organism --from: a sibling starts from its parent's weights (at a learning rate too small to move them it is
     * the parent, which a fresh init could not be), keeps its tokenizer and shapes, records its parent, and may not
     * change a shape field.
     */
    @Test
    void aSiblingContinuesFromItsParent(@TempDir Path tmp) throws Exception {
        Path parent = tmp.resolve("parent"), sib = tmp.resolve("sib");
        assertEquals(0, Main.run("organism", "--quick", "--out", parent.toString(), "--seed", "5", "--set", "steps=4", "--set", "documents=300",
                "--set", "tokenizerDocs=300", "--set", "evalProblems=4"));
        assertEquals(0, Main.run("organism", "--from", parent.toString(), "--out", sib.toString(), "--set", "writers.careful=0.9", "--set", "steps=2",
                "--set", "lr=1e-20", "--set", "seed=6"));
        assertEquals(Files.readString(parent.resolve("tokenizer.json")), Files.readString(sib.resolve("tokenizer.json")));
        assertEquals(Json.read(parent.resolve("config.json")), Json.read(sib.resolve("config.json")));
        var org = Json.read(sib.resolve("organism.json"));
        assertEquals(Json.read(parent.resolve("organism.json")).get("key").asText(), org.path("parent").path("key").asText());
        assertEquals(0.9, org.path("config").path("writers").path("careful").asDouble());
        try (var a = SafeTensors.open(parent.resolve("model.safetensors"));
             var b = SafeTensors.open(sib.resolve("model.safetensors"))) {
            assertEquals(a.entries().keySet(), b.entries().keySet());
            for (String name : a.entries().keySet()) {
                float[] x = a.floats(name), y = b.floats(name);
                for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6f, name + "[" + i + "]");
            }
        }
        assertEquals(2, Main.run("organism", "--from", parent.toString(), "--out", tmp.resolve("bad").toString(), "--set", "hiddenSize=32"));
        assertTrue(!Files.exists(tmp.resolve("bad")), "nothing written");
    }
}
