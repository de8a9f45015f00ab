package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.HfModelExport;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;

/** The CLI contract on a real-format checkpoint directory (a tiny random Qwen2 model saved in HF format). */
class CliTest {
    @TempDir
    static Path tmp;
    static Path model;
    static TinyPolicy tiny;

    @BeforeAll
    static void checkpoint() {
        tiny = new TinyPolicy(tmp, 5);
        model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
    }

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Spark computes a step's gradient once on the executors; inner epochs would need the rollouts back: a clear refusal. */
    @Test
    void sparkRefusesInnerEpochs() {
        Run r = run("train", "--model", model.toString(), "--data", tmp.resolve("nothing.jsonl").toString(), "--out",
                tmp.resolve("spark-run").toString(), "--spark", "local[1]", "--inner-epochs", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--inner-epochs 2") && r.err().contains("--spark"), r.err());
        assertTrue(!Files.exists(tmp.resolve("spark-run")), "nothing is written");
    }

    @Test
    void inspect() {
        Run r = run("inspect", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Qwen2ForCausalLM"), r.out());
        assertTrue(r.out().contains("parameters:"), r.out());
    }

    @Test
    void tokenizeJsonGivesTheTokenizersIds() throws Exception {
        Run r = run("tokenize", "--model", model.toString(), "--text", "Say something.", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.MAPPER.readTree(r.out());
        int[] ids = Json.MAPPER.treeToValue(j.get("ids"), int[].class);
        assertArrayEquals(tiny.tokenizer.encode("Say something."), ids);
        assertEquals(ids.length, j.get("pieces").size());
    }

    @Test
    void scoreJsonPrintsFullPrecisionLogprobsThatVectorsChange() throws Exception {
        Run r = run("score", "--model", model.toString(), "--text", "Please answer now.", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.MAPPER.readTree(r.out());
        int n = j.get("tokens").size();
        assertEquals(n - 1, j.get("logprobs").size());
        int[] ids = Json.MAPPER.treeToValue(j.get("tokens"), int[].class);
        assertArrayEquals(tiny.tokenizer.encode("Please answer now."), ids);
        assertLogSoftmaxAtEveryPosition(ids, j.get("logprobs"), null);
        // not rounded: a double printed in full has many digits
        assertTrue(j.get("logprobs").get(0).asText().length() > 8, j.get("logprobs").get(0).asText());

        SteeringVectors v = SteeringVectors.zeros(tiny.model.config.nLayers(), tiny.model.config.hiddenSize(), new int[] {1});
        for (int i = 0; i < v.dModel(); i++) v.get(1)[i] = (i % 3 - 1) * 0.5f;
        Path vf = tmp.resolve("v.safetensors");
        VectorFiles.write(v, vf);
        JsonNode steered = Json.MAPPER.readTree(run("score", "--model", model.toString(), "--text", "Please answer now.", "--json",
                "--vectors", vf.toString()).out());
        assertNotEquals(j.get("logprobs").toString(), steered.get("logprobs").toString());
        assertLogSoftmaxAtEveryPosition(ids, steered.get("logprobs"), Steering.of(v));
        JsonNode zeroScale = Json.MAPPER.readTree(run("score", "--model", model.toString(), "--text", "Please answer now.", "--json",
                "--vectors", vf.toString(), "--vector-scale", "0").out());
        assertEquals(j.get("logprobs").toString(), zeroScale.get("logprobs").toString());
    }

    /** logprobs[t-1] = log_softmax(logits of the prefix ids[0..t-1])[ids[t]], each prefix its own forward, in double. */
    static void assertLogSoftmaxAtEveryPosition(int[] ids, JsonNode logprobs, Steering steering) {
        assertEquals(ids.length - 1, logprobs.size());
        for (int t = 1; t < ids.length; t++) {
            float[] logits = tiny.model.transformer.nextTokenLogits(Arrays.copyOf(ids, t), steering);
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (float x : logits) max = Math.max(max, x);
            for (float x : logits) z += Math.exp(x - max);
            assertEquals(logits[ids[t]] - max - Math.log(z), logprobs.get(t - 1).asDouble(), 1e-5, "log-prob of token " + t);
        }
    }

    @Test
    void generateStreamsTheGreedyContinuation() {
        Run r = run("generate", "--model", model.toString(), "--prompt", "What comes first?", "--max-new-tokens", "6");
        assertEquals(0, r.code(), r.err());
        int[] prompt = tiny.tokenizer.encode("What comes first?", true);
        Generator.Result g = new Generator(tiny.model.transformer, tiny.tokenizer::decode)
                .generate(List.of(new Generator.Request(prompt, 0)), Generator.Options.greedy(6), null, null).get(0);
        int[] toks = g.tokens();
        if (toks.length > 0 && tiny.model.config.isEos(toks[toks.length - 1])) toks = Arrays.copyOf(toks, toks.length - 1);
        assertEquals(tiny.tokenizer.decode(toks) + System.lineSeparator(), r.out());
    }

    @Test
    void vectorsExportImportAndShow() throws Exception {
        SteeringVectors v = SteeringVectors.zeros(tiny.model.config.nLayers(), tiny.model.config.hiddenSize(), null);
        v.get(1)[3] = 2.5f;
        Path vf = tmp.resolve("all.safetensors");
        VectorFiles.write(v, vf);
        Path gguf = tmp.resolve("all.gguf");
        Run refused = run("vectors", "export", vf.toString(), "--format", "gguf", "--out", gguf.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("layer 0") || refused.err().contains("block 0"), refused.err());
        assertEquals(0, run("vectors", "export", vf.toString(), "--format", "gguf", "--out", gguf.toString(), "--allow-drop-layer0").code());
        Path back = tmp.resolve("back.safetensors");
        assertEquals(0, run("vectors", "import", gguf.toString(), "--out", back.toString(), "--layers", "2").code());
        assertArrayEquals(v.get(1), VectorFiles.read(back).get(1), 0f);
        Run show = run("vectors", "show", gguf.toString(), "--model", model.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("layer   1") && show.out().contains("top:"), show.out());
    }

    @Test
    void badInputIsOneClearLineAndExitTwo() throws Exception {
        Run missing = run("inspect", "--model", tmp.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains("nope"), missing.err());

        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        for (String f : List.of("model.safetensors", "tokenizer.json")) Files.copy(model.resolve(f), broken.resolve(f));
        Files.writeString(broken.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
        Run arch = run("inspect", "--model", broken.toString());
        assertEquals(2, arch.code());
        assertTrue(arch.err().contains("config.json") && arch.err().contains("GPT2LMHeadModel"), arch.err());

        Run badFlag = run("generate", "--model", model.toString(), "--prompt", "x", "--top-p", "1.5");
        assertEquals(2, badFlag.code());
        assertTrue(badFlag.err().contains("--top-p"), badFlag.err());
    }
}
