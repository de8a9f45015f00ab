package steerscope.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.io.Json;
import steerscope.util.UserError;

/** Each malformed tokenizer.json is a UserError naming the file and the field. */
class TokenizerLoadErrorTest {
    @TempDir
    Path tmp;

    private static final String PRE = """
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "\\\\p{N}|\\\\s+|[^\\\\s\\\\p{N}]+"}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}""";

    /** A small valid byte-level tokenizer with the given model, pre-tokenizer and added tokens. */
    private static String tokenizer(String model, String pre, String added) {
        return "{\"version\": \"1.0\", \"added_tokens\": " + added + ", \"normalizer\": null, \"pre_tokenizer\": " + pre
                + ", \"post_processor\": null, \"decoder\": {\"type\": \"ByteLevel\"}, \"model\": " + model + "}";
    }

    private static String bpe(String merges) {
        StringBuilder vocab = new StringBuilder("{");
        for (int b = 0; b < 256; b++) vocab.append(b == 0 ? "" : ", ").append(Json.write(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]))).append(": ").append(b);
        vocab.append(", \"ab\": 256, \"abc\": 257}");
        return "{\"type\": \"BPE\", \"vocab\": " + vocab + ", \"merges\": " + merges + "}";
    }

    private Path write(String name, String text) throws Exception {
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void theSmallTokenizerLoadsAndMergesBothMergeForms() throws Exception {
        for (String merges : List.of("[\"a b\", \"ab c\"]", "[[\"a\", \"b\"], [\"ab\", \"c\"]]")) {
            Tokenizer t = Tokenizer.load(write("ok", tokenizer(bpe(merges), PRE, "[{\"id\": 258, \"content\": \"<s>\", \"special\": true}]")));
            assertEquals(List.of(257, 256, 258, 99), boxed(t.encode("abcab<s>c")));
            assertEquals(259, t.vocabSize());
        }
    }

    private static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed JSON          | malformed JSON
            missing model           | model
            unknown model type      | model.type
            unknown merge token     | model.merges[1]
            bad merge string        | model.merges[0]
            vocab not an object     | model.vocab
            bad vocab id            | model.vocab
            merges missing          | model.merges
            added token without id  | added_tokens[0].id
            no ByteLevel            | pre_tokenizer
            bad regex               | pre_tokenizer.pretokenizers[0].pattern.Regex
            unknown pre-tokenizer   | pre_tokenizer.type
            unknown normalizer      | normalizer.type
            unknown post-processor  | post_processor.type
            not an object           | (root)
            """)
    void badFileIsAUserErrorNamingFileAndField(String name, String field) throws Exception {
        String good = tokenizer(bpe("[\"a b\", \"ab c\"]"), PRE, "[]");
        String text = switch (name) {
            case "malformed JSON" -> good.substring(0, good.length() - 5);
            case "missing model" -> good.replace(", \"model\": " + bpe("[\"a b\", \"ab c\"]"), "");
            case "unknown model type" -> good.replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\"");
            case "unknown merge token" -> tokenizer(bpe("[\"a b\", \"ab zz\"]"), PRE, "[]");
            case "bad merge string" -> tokenizer(bpe("[\"ab\"]"), PRE, "[]");
            case "vocab not an object" -> tokenizer("{\"type\": \"BPE\", \"vocab\": [1, 2], \"merges\": []}", PRE, "[]");
            case "bad vocab id" -> tokenizer("{\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}", PRE, "[]");
            case "merges missing" -> tokenizer("{\"type\": \"BPE\", \"vocab\": {\"a\": 0}}", PRE, "[]");
            case "added token without id" -> tokenizer(bpe("[]"), PRE, "[{\"content\": \"<s>\"}]");
            case "no ByteLevel" -> tokenizer(bpe("[]"), "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": \"Removed\"}", "[]");
            case "bad regex" -> tokenizer(bpe("[]"), PRE.replace("\\\\p{N}|", "(\\\\p{N}|"), "[]");
            case "unknown pre-tokenizer" -> tokenizer(bpe("[]"), "{\"type\": \"Metaspace\"}", "[]");
            case "unknown normalizer" -> good.replace("\"normalizer\": null", "\"normalizer\": {\"type\": \"Lowercase\"}");
            case "unknown post-processor" -> good.replace("\"post_processor\": null", "\"post_processor\": {\"type\": \"Mystery\"}");
            case "not an object" -> "[1, 2, 3]";
            default -> throw new IllegalArgumentException(name);
        };
        Path file = write(name.replace(' ', '_'), text);
        UserError e = assertThrows(UserError.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), "message should name the file: " + e.getMessage());
        if (!name.equals("malformed JSON")) {
            assertTrue(e.getMessage().contains(field + ":"), "message should name the field " + field + ": " + e.getMessage());
        }
    }

    @Test
    void missingFileIsAUserError() {
        Path file = tmp.resolve("nope/tokenizer.json");
        UserError e = assertThrows(UserError.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
