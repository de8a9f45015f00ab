package steerscope.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;

class BpeTrainerTest {
    private static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    @TempDir
    Path tmp;

    /** Chat-formatted arithmetic, like the project's synthetic training corpus. */
    static List<String> arithmetic(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] ops = {"+", "-", "*"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int a = rnd.nextInt(1000), b = rnd.nextInt(1000);
            String op = ops[rnd.nextInt(3)];
            long r = op.equals("+") ? a + b : op.equals("-") ? a - b : (long) a * b;
            String q = rnd.nextBoolean() ? "What is " + a + " " + op + " " + b + "?" : "Compute " + a + op + b + ".";
            out.add("<|im_start|>user\n" + q + "<|im_end|>\n<|im_start|>assistant\n" + a + " " + op + " " + b + " = " + r
                    + "<|im_end|>\n<|endoftext|>");
        }
        return out;
    }

    @Test
    void trainedTokenizerAgreesWithHuggingFaceAndRoundTrips() throws Exception {
        List<String> corpus = new ArrayList<>(arithmetic(1, 3000));
        corpus.addAll(new TestStrings(11, SPECIALS).generate(1500)); // varied text, so there is enough to merge
        BpeTrainer trainer = new BpeTrainer(1024, SPECIALS, 42).train(corpus);
        Path file = tmp.resolve("tokenizer.json");
        trainer.writeTokenizerJson(file);
        Tokenizer t = Tokenizer.load(file);
        assertEquals(1024, t.vocabSize(), t.summary());
        assertTrue(trainer.mergeCount() >= 1024 - 3 - 256, "one merge per learned piece at least");
        assertTrue(t.isSpecial(t.tokenId("<|im_end|>").orElseThrow()));

        List<String> strings = new ArrayList<>(arithmetic(2, 300)); // unseen numbers, same format
        strings.addAll(new TestStrings(3, SPECIALS).generate(100)); // text the corpus never had: falls back to bytes
        List<NodeOracle.Golden> golden = NodeOracle.encode(file, strings, tmp);
        int agree = 0;
        for (int i = 0; i < strings.size(); i++) {
            int[] ids = t.encode(strings.get(i));
            assertArrayEquals(golden.get(i).plain(), ids, "string " + i + ": " + strings.get(i));
            assertArrayEquals(golden.get(i).special(), t.encode(strings.get(i), true));
            assertEquals(strings.get(i), t.decode(ids));
            agree++;
        }
        System.out.printf("trained tokenizer: %d/%d strings agree with @huggingface/tokenizers%n", agree, strings.size());

        // it learned the corpus: the chat scaffolding compresses, and digits stay single (Qwen2 pre-tokenizer)
        String sample = arithmetic(5, 1).getFirst();
        assertTrue(t.encode(sample).length < sample.length() / 2, "trained merges should compress corpus text");
        for (char d = '0'; d <= '9'; d++) assertEquals(1, t.encode("" + d + d + d).length / 3, "digits are never merged");
        assertEquals(1, t.encode("assistant").length);
    }

    @Test
    void stopsWhenNothingIsLeftToMerge() throws Exception {
        // single digits and a fixed scaffold leave few distinct pre-tokens: fewer pieces than asked is fine
        BpeTrainer trainer = new BpeTrainer(2048, SPECIALS, 1).train(arithmetic(6, 2000));
        Path file = tmp.resolve("small.json");
        trainer.writeTokenizerJson(file);
        Tokenizer t = Tokenizer.load(file);
        assertTrue(t.vocabSize() < 2048 && trainer.mergeCount() > 10, t.summary());
        String s = arithmetic(7, 1).getFirst();
        assertArrayEquals(NodeOracle.encode(file, List.of(s), tmp).getFirst().plain(), t.encode(s));
    }

    @Test
    void sameSeedSameTokenizerAndSeedBreaksTies() {
        List<String> corpus = arithmetic(9, 500);
        String a = new BpeTrainer(400, SPECIALS, 1).train(corpus).tokenizerJson();
        String b = new BpeTrainer(400, SPECIALS, 1).train(corpus).tokenizerJson();
        assertEquals(a, b);
        // a corpus made only of ties: every pair occurs equally often, so the seed decides the first merge
        List<String> ties = List.of("ab cd ef gh ij kl mn op", "ab cd ef gh ij kl mn op");
        List<String> firstMerges = new ArrayList<>();
        for (long seed = 0; seed < 8; seed++) {
            String json = new BpeTrainer(257, List.of(), seed).train(ties).tokenizerJson();
            firstMerges.add(json.substring(json.indexOf("\"merges\"")));
        }
        assertNotEquals(1, firstMerges.stream().distinct().count(), "different seeds should break ties differently");
    }

    @Test
    void writesAHuggingFaceLayout() throws Exception {
        Path file = tmp.resolve("t.json");
        new BpeTrainer(300, SPECIALS, 3).train(arithmetic(4, 200)).writeTokenizerJson(file);
        var root = Json.read(file);
        assertEquals("BPE", root.at("/model/type").asText());
        assertEquals("Split", root.at("/pre_tokenizer/pretokenizers/0/type").asText());
        assertEquals("Isolated", root.at("/pre_tokenizer/pretokenizers/0/behavior").asText());
        assertEquals(false, root.at("/pre_tokenizer/pretokenizers/1/use_regex").asBoolean(true));
        assertEquals("ByteLevel", root.at("/decoder/type").asText());
        assertEquals(SPECIALS.size(), root.get("added_tokens").size());
        assertTrue(Files.size(file) > 0);
        assertEquals(256 + root.at("/model/merges").size(), root.at("/model/vocab").size());
    }
}
