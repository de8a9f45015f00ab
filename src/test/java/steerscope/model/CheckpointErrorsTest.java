package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.OracleRunner;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.util.UserError;

/**
 * A good oracle checkpoint (single-file F32 Qwen2, sharded BF16 Llama) copied into a temp directory and broken
 * in one way each: Model.load must give one UserError naming the right file and saying what is wrong.
 */
class CheckpointErrorsTest {
    static final String SINGLE = "qwen2-f32-tied", SHARDED = "llama-bf16-tied-sharded";
    static final String SHARD1 = "model-00001-of-00002.safetensors", SHARD2 = "model-00002-of-00002.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    @TempDir
    Path tmp;

    /** A copy of an oracle checkpoint (without the oracle's own batch and expected files). */
    static Path copyCheckpoint(String caseName, Path into) throws IOException {
        Path src = OracleRunner.checkpoint(caseName, "all");
        Path dir = Files.createDirectories(into.resolve(caseName));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.equals("batch.json") || n.equals("expected.safetensors")) continue;
                Files.copy(f, dir.resolve(n));
            }
        }
        return dir;
    }

    // ------------------------------------------------------------------------------------------ ways to break

    interface Breaker {
        void breakIt(Path dir) throws IOException;
    }

    static Breaker editJson(String file, Consumer<ObjectNode> edit) {
        return dir -> {
            ObjectNode n = (ObjectNode) Json.read(dir.resolve(file));
            edit.accept(n);
            Files.writeString(dir.resolve(file), Json.writePretty(n));
        };
    }

    static Breaker config(Consumer<ObjectNode> edit) {
        return editJson("config.json", edit);
    }

    static Breaker weightMap(Consumer<ObjectNode> edit) {
        return editJson(INDEX, n -> edit.accept((ObjectNode) n.get("weight_map")));
    }

    /** Rewrites a safetensors file tensor by tensor (same dtype, exact values); fn may drop (null) or reshape. */
    static Breaker rewrite(String file, Function<SafeTensors.Entry, long[]> shapeOf) {
        return dir -> {
            Path f = dir.resolve(file);
            SafeTensorsWriter w = new SafeTensorsWriter();
            try (SafeTensors st = SafeTensors.open(f)) {
                for (SafeTensors.Entry e : st.entries().values()) {
                    long[] shape = shapeOf.apply(e);
                    if (shape != null) w.add(e.name(), e.dtype(), shape, st.floats(e.name()));
                }
            }
            w.write(f);
        };
    }

    static Breaker dropTensor(String file, String name) {
        return rewrite(file, e -> e.name().equals(name) ? null : e.shape());
    }

    static Breaker truncate(String file, int keepFromEnd) {
        return dir -> {
            byte[] b = Files.readAllBytes(dir.resolve(file));
            Files.write(dir.resolve(file), Arrays.copyOf(b, b.length - keepFromEnd));
        };
    }

    static Breaker delete(String file) {
        return dir -> Files.delete(dir.resolve(file));
    }

    static Breaker writeText(String file, String text) {
        return dir -> Files.writeString(dir.resolve(file), text);
    }

    /** The shard a tensor lives in, per the oracle's index. */
    static String shardOf(String tensor) {
        return Json.read(OracleRunner.checkpoint(SHARDED, "all").resolve(INDEX)).get("weight_map").get(tensor).asText();
    }

    static String otherShard(String shard) {
        return shard.equals(SHARD1) ? SHARD2 : SHARD1;
    }

    static Stream<Arguments> brokenCheckpoints() {
        String up1 = "model.layers.1.mlp.up_proj.weight", down0 = "model.layers.0.mlp.down_proj.weight";
        List<Arguments> out = new ArrayList<>();
        // --- tensors vs config (single file)
        out.add(Arguments.of("missing tensor", SINGLE, dropTensor("model.safetensors", up1),
                "model.safetensors", "missing tensor '" + up1 + "'"));
        out.add(Arguments.of("missing q bias", SINGLE, dropTensor("model.safetensors", "model.layers.0.self_attn.q_proj.bias"),
                "model.safetensors", "missing tensor 'model.layers.0.self_attn.q_proj.bias'"));
        out.add(Arguments.of("tensor transposed", SINGLE, rewrite("model.safetensors", e -> e.name().equals(down0) ? new long[] {80, 32} : e.shape()),
                "model.safetensors", "tensor '" + down0 + "' has shape [80, 32] but config.json implies [32, 80]"));
        out.add(Arguments.of("norm as a matrix", SINGLE, rewrite("model.safetensors", e -> e.name().equals("model.norm.weight") ? new long[] {1, 32} : e.shape()),
                "model.safetensors", "tensor 'model.norm.weight' has shape [1, 32] but config.json implies [32]"));
        out.add(Arguments.of("config intermediate_size disagrees", SINGLE, config(c -> c.put("intermediate_size", 96)),
                "model.safetensors", "has shape [80, 32] but config.json implies [96, 32]"));
        out.add(Arguments.of("config vocab_size disagrees", SINGLE, config(c -> c.put("vocab_size", 98)),
                "model.safetensors", "tensor 'model.embed_tokens.weight' has shape [97, 32] but config.json implies [98, 32]"));
        out.add(Arguments.of("config has one layer too many", SINGLE, config(c -> c.put("num_hidden_layers", 3)),
                "model.safetensors", "missing tensor 'model.layers.2."));
        out.add(Arguments.of("untied without lm_head", SINGLE, config(c -> c.put("tie_word_embeddings", false)),
                "model.safetensors", "missing tensor 'lm_head.weight'"));
        // --- config.json itself
        out.add(Arguments.of("tie_word_embeddings a string", SINGLE, config(c -> c.put("tie_word_embeddings", "yes")),
                "config.json", "field 'tie_word_embeddings': expected true or false, got \"yes\""));
        out.add(Arguments.of("attention_bias a number", SINGLE, config(c -> c.put("attention_bias", 1)),
                "config.json", "field 'attention_bias': expected true or false, got 1"));
        out.add(Arguments.of("unknown architecture", SINGLE, config(c -> c.putArray("architectures").add("GPT2LMHeadModel")),
                "config.json", "unknown architecture 'GPT2LMHeadModel'"));
        out.add(Arguments.of("architectures missing", SINGLE, config(c -> c.remove("architectures")),
                "config.json", "field 'architectures'"));
        out.add(Arguments.of("architectures a string", SINGLE, config(c -> c.put("architectures", "Qwen2ForCausalLM")),
                "config.json", "field 'architectures'"));
        out.add(Arguments.of("config malformed JSON", SINGLE, writeText("config.json", "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 32,"),
                "config.json", "malformed JSON"));
        out.add(Arguments.of("config empty", SINGLE, writeText("config.json", ""), "config.json", "expected a JSON object"));
        out.add(Arguments.of("config a list", SINGLE, writeText("config.json", "[1, 2]"), "config.json", "expected a JSON object"));
        out.add(Arguments.of("hidden_size missing", SINGLE, config(c -> c.remove("hidden_size")),
                "config.json", "missing field 'hidden_size'"));
        out.add(Arguments.of("hidden_size a string", SINGLE, config(c -> c.put("hidden_size", "big")),
                "config.json", "field 'hidden_size': expected a positive integer, got \"big\""));
        out.add(Arguments.of("hidden_size negative", SINGLE, config(c -> c.put("hidden_size", -32)),
                "config.json", "field 'hidden_size': expected a positive integer, got -32"));
        out.add(Arguments.of("hidden_size fractional", SINGLE, config(c -> c.put("hidden_size", 32.5)),
                "config.json", "field 'hidden_size': expected a positive integer, got 32.5"));
        out.add(Arguments.of("hidden_size too big for an int", SINGLE, config(c -> c.put("hidden_size", 1L << 40)),
                "config.json", "field 'hidden_size': expected a positive integer"));
        out.add(Arguments.of("vocab_size missing", SINGLE, config(c -> c.remove("vocab_size")),
                "config.json", "missing field 'vocab_size'"));
        out.add(Arguments.of("num_attention_heads zero", SINGLE, config(c -> c.put("num_attention_heads", 0)),
                "config.json", "field 'num_attention_heads': expected a positive integer, got 0"));
        out.add(Arguments.of("num_key_value_heads does not divide", SINGLE, config(c -> c.put("num_key_value_heads", 3)),
                "config.json", "field 'num_key_value_heads': 3 does not divide num_attention_heads = 4"));
        out.add(Arguments.of("num_key_value_heads zero", SINGLE, config(c -> c.put("num_key_value_heads", 0)),
                "config.json", "field 'num_key_value_heads': expected a positive integer"));
        out.add(Arguments.of("hidden_size not a multiple of heads", SINGLE, config(c -> c.put("hidden_size", 34)),
                "config.json", "hidden_size 34 is not a multiple of num_attention_heads 4"));
        out.add(Arguments.of("odd head_dim", SINGLE, config(c -> c.put("head_dim", 7)), "config.json", "head_dim 7 must be even"));
        out.add(Arguments.of("hidden_act gelu", SINGLE, config(c -> c.put("hidden_act", "gelu")),
                "config.json", "field 'hidden_act': 'gelu' is not supported"));
        out.add(Arguments.of("rope_scaling yarn", SINGLE, config(c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0)),
                "config.json", "field 'rope_scaling.rope_type': 'yarn' is not supported"));
        out.add(Arguments.of("llama3 rope_scaling without factor", SINGLE, config(c -> c.putObject("rope_scaling").put("rope_type", "llama3")),
                "config.json", "missing field 'rope_scaling.factor'"));
        out.add(Arguments.of("rms_norm_eps negative", SINGLE, config(c -> c.put("rms_norm_eps", -1e-6)),
                "config.json", "field 'rms_norm_eps': expected a positive number"));
        out.add(Arguments.of("eos_token_id a string", SINGLE, config(c -> c.put("eos_token_id", "two")),
                "config.json", "field 'eos_token_id': expected an integer or a list of integers"));
        out.add(Arguments.of("generation_config malformed", SINGLE, writeText("generation_config.json", "{\"eos_token_id\": [2,"),
                "generation_config.json", "malformed JSON"));
        // --- the weights file (single)
        out.add(Arguments.of("no weights at all", SINGLE, delete("model.safetensors"),
                SINGLE, "no model.safetensors or model.safetensors.index.json"));
        out.add(Arguments.of("weights cut in the data", SINGLE, truncate("model.safetensors", 1000),
                "model.safetensors", "truncated file"));
        out.add(Arguments.of("weights cut to 4 bytes", SINGLE, (Breaker) dir -> Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3, 4}),
                "model.safetensors", "truncated safetensors file: 4 bytes"));
        // --- sharded checkpoints and their index
        String embed = "model.embed_tokens.weight";
        out.add(Arguments.of("shard deleted", SHARDED, delete(SHARD2), SHARD2, "file not found"));
        out.add(Arguments.of("index points to a missing shard", SHARDED, weightMap(m -> m.put(up1, "model-00003-of-00003.safetensors")),
                "model-00003-of-00003.safetensors", "file not found"));
        out.add(Arguments.of("index puts a tensor in the wrong shard", SHARDED, weightMap(m -> m.put(embed, otherShard(shardOf(embed)))),
                otherShard(shardOf(embed)), "missing tensor '" + embed + "' listed in " + INDEX));
        out.add(Arguments.of("index lists a tensor no shard has", SHARDED, weightMap(m -> m.put("model.extra.weight", SHARD1)),
                SHARD1, "missing tensor 'model.extra.weight' listed in " + INDEX));
        out.add(Arguments.of("index omits a tensor", SHARDED, weightMap(m -> m.remove(up1)),
                INDEX, "missing tensor '" + up1 + "'"));
        out.add(Arguments.of("tensor dropped from its shard", SHARDED, dropTensor(shardOf(up1), up1),
                shardOf(up1), "missing tensor '" + up1 + "' listed in " + INDEX));
        out.add(Arguments.of("shard name ../x", SHARDED, weightMap(m -> m.put(up1, "../x.safetensors")),
                INDEX, "shard name '../x.safetensors' must be a plain file name"));
        out.add(Arguments.of("shard name sub/x", SHARDED, weightMap(m -> m.put(up1, "sub/" + SHARD1)),
                INDEX, "must be a plain file name"));
        out.add(Arguments.of("shard name absolute", SHARDED, weightMap(m -> m.put(up1, "/etc/passwd")),
                INDEX, "must be a plain file name"));
        out.add(Arguments.of("shard name empty", SHARDED, weightMap(m -> m.put(up1, "")),
                INDEX, "must be a plain file name"));
        out.add(Arguments.of("shard name a number", SHARDED, weightMap(m -> m.put(up1, 1)),
                INDEX, "must be a plain file name"));
        out.add(Arguments.of("index malformed", SHARDED, writeText(INDEX, "{\"weight_map\": {"), INDEX, "malformed JSON"));
        out.add(Arguments.of("index without weight_map", SHARDED, editJson(INDEX, n -> n.remove("weight_map")),
                INDEX, "missing object field 'weight_map'"));
        out.add(Arguments.of("shard truncated", SHARDED, truncate(SHARD1, 100), SHARD1, "truncated file"));
        out.add(Arguments.of("shard with a tensor of the wrong shape", SHARDED,
                rewrite(shardOf(embed), e -> e.name().equals(embed) ? new long[] {32, 97} : e.shape()),
                shardOf(embed), "tensor '" + embed + "' has shape [32, 97] but config.json implies [97, 32]"));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCheckpoints")
    void brokenCheckpointGivesOneClearError(String what, String caseName, Breaker breaker, String fileName, String phrase) throws IOException {
        Path dir = copyCheckpoint(caseName, tmp);
        breaker.breakIt(dir);
        UserError e = assertThrows(UserError.class, () -> Model.load(dir).close(), what);
        assertMessage(e, fileName, phrase);
    }

    @Test
    void unbrokenCopiesLoad() throws IOException {
        for (String c : List.of(SINGLE, SHARDED)) {
            try (Model m = Model.load(copyCheckpoint(c, tmp))) {
                assertEquals(2, m.config.nLayers());
            }
        }
        // a checkpoint rewritten by our writer (same tensors, same dtypes) also loads: the rewrite itself breaks nothing
        Path dir = tmp.resolve("rewritten");
        Files.createDirectories(dir);
        Path copy = copyCheckpoint(SHARDED, dir);
        rewrite(SHARD1, SafeTensors.Entry::shape).breakIt(copy);
        try (Model m = Model.load(copy)) {
            assertEquals(32, m.config.hiddenSize());
        }
    }

    @Test
    void missingDirectoryOrConfig() throws IOException {
        Path nowhere = tmp.resolve("no-such-model");
        assertMessage(assertThrows(UserError.class, () -> Model.load(nowhere)), "no-such-model", "model directory not found");
        Path file = Files.writeString(tmp.resolve("a-file"), "hello");
        assertMessage(assertThrows(UserError.class, () -> Model.load(file)), "a-file", "model directory not found");
        Path empty = Files.createDirectory(tmp.resolve("empty-model"));
        assertMessage(assertThrows(UserError.class, () -> Model.load(empty)), "empty-model", "config.json not found");
        Path weightsOnly = copyCheckpoint(SINGLE, tmp);
        Files.delete(weightsOnly.resolve("config.json"));
        assertMessage(assertThrows(UserError.class, () -> Model.load(weightsOnly)), SINGLE, "not a model directory: config.json not found");
    }

    /** Header-focused mutations of a real checkpoint's weights: Model.load either works or gives a UserError. */
    @Test
    void mutatedCheckpointLoadsOrGivesUserError() throws IOException {
        Path dir = copyCheckpoint(SINGLE, tmp);
        Path weights = dir.resolve("model.safetensors");
        byte[] base = Files.readAllBytes(weights);
        int headerLen = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Random rnd = new Random(99);
        int loaded = 0, rejected = 0, n = 300;
        for (int m = 0; m < n; m++) {
            byte[] bytes = base.clone();
            String how;
            if (rnd.nextBoolean()) {
                int at = 8 + rnd.nextInt(headerLen);
                bytes[at] = (byte) "0123456789[]{}\",:-. eE".charAt(rnd.nextInt(22));
                how = "header byte " + at + " -> '" + (char) bytes[at] + "'";
            } else { // change a digit of the header to another: shapes and offsets move
                String h = new String(bytes, 8, headerLen, StandardCharsets.UTF_8);
                int at;
                do at = rnd.nextInt(h.length()); while (!Character.isDigit(h.charAt(at)));
                bytes[8 + at] = (byte) ('0' + rnd.nextInt(10));
                how = "header digit " + at + " -> " + (char) bytes[8 + at];
            }
            Files.write(weights, bytes);
            try (Model model = Model.load(dir)) {
                assertEquals(32, model.config.hiddenSize(), how);
                loaded++;
            } catch (UserError e) {
                assertTrue(e.getMessage().contains("model.safetensors"), how + ": " + e.getMessage());
                rejected++;
            } catch (Throwable t) {
                fail("mutation " + m + " (" + how + ") threw " + t, t);
            }
        }
        System.out.printf("checkpoint mutations: %d loaded, %d rejected with UserError%n", loaded, rejected);
        assertTrue(rejected > n / 2, "most header mutations must be caught");
        assertTrue(loaded > 0, "some mutations must leave a loadable checkpoint, or the loop tests only the mutator");
    }

    static void assertMessage(UserError e, String fileName, String phrase) {
        String m = e.getMessage();
        assertTrue(m.contains(fileName), "message should name " + fileName + ": " + m);
        assertTrue(m.contains(phrase), "message should say '" + phrase + "': " + m);
        assertFalse(m.contains("\n"), "one line: " + m);
    }

    @Test
    void configErrorsNameTheFieldNotJustTheFile() throws IOException {
        // every required field, removed in turn, is named in the error
        for (String field : List.of("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "vocab_size")) {
            Path dir = copyCheckpoint(SINGLE, Files.createDirectories(tmp.resolve(field)));
            config(c -> c.remove(field)).breakIt(dir);
            UserError e = assertThrows(UserError.class, () -> Model.load(dir).close(), field);
            assertMessage(e, "config.json", "missing field '" + field + "'");
        }
        JsonNode original = Json.read(OracleRunner.checkpoint(SINGLE, "all").resolve("config.json"));
        assertTrue(original.has("hidden_size") && !original.has("head_dim"), "the Qwen2 oracle config omits head_dim, as HF does");
    }
}
