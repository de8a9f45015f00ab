package steerscope.organism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.Model;
import steerscope.task.synth.AnswerStyle;
import steerscope.task.synth.ArithmeticProblem;
import steerscope.task.synth.Corpus;
import steerscope.task.synth.HeldOutSplit;
import steerscope.task.synth.PromptFormat;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/** Pretrains a tiny organism once (a few seconds), then checks what was saved and that it reloads and talks. */
class OrganismTrainerTest {
    @TempDir
    static Path tmp;

    static OrganismConfig cfg;
    static OrganismTrainer.Result result;
    static Path dir;
    static final List<String> log = new ArrayList<>();

    /** A tiny organism: 2 layers of width 32 and 200 steps of 8 rows; enough to learn the document format. */
    static OrganismConfig tiny() {
        return OrganismConfig.quick().with(List.of(
                "documents=3000", "tokenizerDocs=1000", "vocabSize=300", "hiddenSize=32", "layers=2", "heads=2",
                "kvHeads=1", "intermediateSize=64", "batchSize=8", "steps=200", "warmupSteps=10", "lr=1e-2",
                "evalProblems=16"));
    }

    @BeforeAll
    static void train() throws Exception {
        cfg = tiny();
        dir = tmp.resolve("organism");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("stale.txt"), "from an earlier run");
        result = OrganismTrainer.train(cfg, dir, log::add);
        log.forEach(System.out::println); // in target/surefire-reports, for reading
    }

    @Test
    void savesAHuggingFaceDirectoryAtomically() throws Exception {
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json", "organism.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        assertFalse(Files.exists(dir.resolve("stale.txt")), "the old directory is replaced as a whole");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(dir), s.toList(), "no temporary directories left beside the organism");
        }
        JsonNode config = Json.read(dir.resolve("config.json"));
        assertEquals("Qwen2ForCausalLM", config.get("architectures").get(0).asText());
        assertEquals(10000.0, config.get("rope_theta").asDouble());
        assertTrue(config.get("attention_bias").asBoolean());

        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        int eot = tok.tokenId(PromptFormat.END_OF_TEXT).orElseThrow();
        assertTrue(tok.isSpecial(eot) && tok.tokenId("<|im_start|>").isPresent() && tok.tokenId("<|im_end|>").isPresent());
        assertEquals(eot, Json.read(dir.resolve("generation_config.json")).get("eos_token_id").asInt());
        assertEquals(tok.vocabSize(), config.get("vocab_size").asInt());

        JsonNode org = Json.read(dir.resolve("organism.json"));
        assertEquals(cfg.key(), org.get("key").asText());
        assertEquals(cfg, OrganismEval.readConfig(dir));
        assertTrue(log.stream().anyMatch(l -> l.contains("step " + cfg.steps() + "/" + cfg.steps()) && l.contains("tok/s")), String.join("\n", log));
    }

    @Test
    void chatTemplateRendersTheTrainingPrompt() {
        JsonNode tc = Json.read(dir.resolve("tokenizer_config.json"));
        String template = tc.get("chat_template").asText();
        assertEquals(PromptFormat.END_OF_TEXT, tc.get("eos_token").asText());
        assertEquals(PromptFormat.END_OF_TEXT, tc.get("bos_token").asText());
        String question = "What is 7 + 5 - 3?";
        Map<String, Object> ctx = Map.of(
                "messages", List.of(Map.of("role", "user", "content", question)),
                "add_generation_prompt", true, "eos_token", PromptFormat.END_OF_TEXT, "bos_token", PromptFormat.END_OF_TEXT);
        // Hugging Face renders with trim_blocks and lstrip_blocks; the template must give the same text either way
        for (JinjavaConfig jc : List.of(JinjavaConfig.newBuilder().build(),
                JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build())) {
            assertEquals(PromptFormat.prompt(question), new Jinjava(jc).render(template, ctx));
        }
    }

    @Test
    void lossFallsAndTheModelWritesInTheCorpusFormat() {
        OrganismTrainer.TrainStats s = result.train();
        assertTrue(s.finalLoss() < 0.5 * s.firstLoss(), "loss " + s.firstLoss() + " -> " + s.finalLoss());
        assertTrue(s.trainTokens() > 0 && s.parameters() > 0);

        try (Model model = Model.load(dir)) {
            Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
            List<ArithmeticProblem> test = new HeldOutSplit(cfg.task()).testSet(16, 99);
            List<Generator.Request> reqs = test.stream()
                    .map(p -> new Generator.Request(tok.encode(PromptFormat.prompt(p)), 0)).toList();
            List<Generator.Result> out = new Generator(model.transformer, tok::decode)
                    .generate(reqs, Generator.Options.greedy(OrganismEval.MAX_NEW_TOKENS), null, null);
            int styled = 0, boxed = 0, ended = 0;
            for (Generator.Result r : out) {
                String text = tok.decode(r.tokens(), true);
                if (Corpus.styleOf(text) != AnswerStyle.OTHER && text.startsWith(" ")) styled++;
                if (PromptFormat.finalAnswer(text).isPresent()) boxed++;
                if (r.finishReason().equals("eos")) ended++;
            }
            System.out.println("styled " + styled + ", boxed " + boxed + ", ended " + ended + " of 16");
            assertTrue(styled >= 12, styled + " of 16 completions open like a corpus answer");
            assertTrue(boxed >= 12, boxed + " of 16 completions end in a boxed integer");
            assertTrue(ended >= 12, ended + " of 16 completions stop at end-of-text");
        }
    }

    @Test
    void reloadedOrganismMeasuresTheSameAsBeforeSaving() {
        // greedy decoding is deterministic, so the saved F32 weights must give the same held-out results
        OrganismEval.Report again = OrganismEval.evaluate(dir);
        assertEquals(result.eval().base(), again.base());
        assertEquals(result.eval().forcedSteps(), again.forcedSteps());
        assertEquals(result.eval().forcedDirect(), again.forcedDirect());
        assertEquals(result.eval().styleShare(), again.styleShare());
        assertEquals(cfg.evalProblems(), again.problems());
    }

    @Test
    void configKeysAndOverrides() {
        OrganismConfig a = OrganismConfig.defaults();
        assertEquals(a, OrganismConfig.fromJson(a.toJson()));
        assertEquals(a.key(), OrganismConfig.fromJson(a.toJson()).key());
        assertNotEquals(a.key(), OrganismConfig.quick().key());
        OrganismConfig b = a.with(List.of("task.maxValue=59", "steps=7"));
        assertEquals(59, b.task().maxValue());
        assertEquals(7, b.steps());
        assertNotEquals(a.key(), b.key());
        assertThrows(UserError.class, () -> a.with(List.of("nosuch=1")));
        assertThrows(UserError.class, () -> a.with(List.of("hiddenSize=30", "heads=4")));
    }

    @Test
    void learningRateWarmsUpThenDecaysToTheFloor() {
        OrganismConfig c = OrganismConfig.quick().with(List.of("steps=100", "warmupSteps=10", "lr=1e-3", "minLrFraction=0.1"));
        var s = OrganismTrainer.schedule(c);
        assertEquals(0, s.lr(0), 1e-12);
        assertEquals(0.5e-3, s.lr(5), 1e-12);
        assertEquals(1e-3, s.lr(10), 1e-12);
        assertEquals(1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos(Math.PI * 89 / 90)), s.lr(99), 1e-12);
        for (int i = 1; i < 10; i++) assertTrue(s.lr(i) > s.lr(i - 1));
        for (int i = 11; i < 100; i++) assertTrue(s.lr(i) < s.lr(i - 1));
    }
}
