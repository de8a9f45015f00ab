package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.OracleRunner;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.model.SteeringVectors;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;

/**
 * The paper's vectors, stored as mlp.down_proj biases. A checkpoint torch wrote with biases on layers 0 and 2
 * (the oracle case qwen2-f32-downbias; OracleTest checks that it loads with the same logits and gradients as torch's):
 * its biases import as vectors that, added to the base at hook_resid_post, give its logits; exported back as
 * biases, torch's forward with them reproduces the oracle's logits.
 */
class PaperVectorsTest {
    @TempDir
    Path tmp;

    @Test
    void importFromTorchCheckpointThenExportBackToTorch() throws Exception {
        Path ckpt = OracleRunner.checkpoint("qwen2-f32-downbias", "all");
        Path vecs = tmp.resolve("paper.safetensors");
        CliTest.Run r = CliTest.run("vectors", "import", "--from-checkpoint", ckpt.toString(), "--out", vecs.toString());
        assertEquals(0, r.code(), r.err());
        SteeringVectors v = VectorFiles.read(vecs);
        assertArrayEquals(new int[] {0, 2}, v.layers());
        try (SafeTensors st = SafeTensors.open(ckpt.resolve("model.safetensors"))) {
            for (int l : v.layers()) assertArrayEquals(st.floats("model.layers." + l + ".mlp.down_proj.bias"), v.get(l));
        }
        assertTrue(v.metadata().containsKey("model_hash") && v.metadata().containsKey("base_model"), v.metadata().toString());

        // base (biases removed) + imported vectors at every position = the checkpoint with its biases
        try (Model withBias = Model.load(ckpt); Model base = Model.load(ckpt)) {
            for (var layer : base.weights.layers) layer.bDown = null;
            int[] ids = new SplittableRandom(3).ints(12, 3, base.config.vocabSize()).toArray();
            float[] want = logits(withBias, ids, null), got = logits(base, ids, Steering.of(v));
            float[] plain = logits(base, ids, null);
            double diff = 0, effect = 0;
            for (int i = 0; i < want.length; i++) {
                diff = Math.max(diff, Math.abs(want[i] - got[i]));
                effect = Math.max(effect, Math.abs(want[i] - plain[i]));
            }
            System.out.printf("base + imported vectors vs checkpoint with biases: max |logit diff| %.3g (the biases move logits by up to %.3g)%n", diff, effect);
            assertTrue(diff < 1e-5, "max logit difference " + diff);
            assertTrue(effect > 0.05, "the biases should matter: " + effect);
        }

        Path back = tmp.resolve("biases.safetensors");
        r = CliTest.run("vectors", "export", vecs.toString(), "--format", "down-proj-bias", "--out", back.toString());
        assertEquals(0, r.code(), r.err());
        OracleRunner.run(List.of(OracleRunner.PYTHON.toString(), "src/test/python/down_proj_bias_check.py", ckpt.toString(), back.toString()));
    }

    private static float[] logits(Model m, int[] ids, Steering s) {
        int T = ids.length;
        return m.transformer.logits(m.transformer.forward(TokenBatch.single(ids, T), s, null, Transformer.Save.NONE));
    }

    /** The researcher's path through the CLI: inspect says what the model is, and score agrees either way. */
    @Test
    void aModelCarryingBiasesLoadsAsBasePlusVectors() throws Exception {
        TinyPolicy tiny = new TinyPolicy(tmp, 5);
        Path plain = tmp.resolve("plain"), biased = tmp.resolve("biased");
        HfModelExport.write(tiny.vectors().model, plain);
        float[] b = new float[tiny.model.config.hiddenSize()];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
        tiny.model.weights.layers[1].bDown = b;
        HfModelExport.write(tiny.vectors().model, biased);

        CliTest.Run inspect = CliTest.run("inspect", "--model", biased.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("mlp.down_proj.bias on layers [1]") && inspect.out().contains("base + vectors"), inspect.out());
        assertTrue(!CliTest.run("inspect", "--model", plain.toString()).out().contains("down_proj.bias"));

        Path vecs = tmp.resolve("v.safetensors");
        assertEquals(0, CliTest.run("vectors", "import", "--from-checkpoint", biased.toString(), "--out", vecs.toString()).code());
        JsonNode a = Json.MAPPER.readTree(CliTest.run("score", "--model", biased.toString(), "--text", "Please answer now.", "--json").out());
        JsonNode c = Json.MAPPER.readTree(CliTest.run("score", "--model", plain.toString(), "--vectors", vecs.toString(),
                "--text", "Please answer now.", "--json").out());
        JsonNode p = Json.MAPPER.readTree(CliTest.run("score", "--model", plain.toString(), "--text", "Please answer now.", "--json").out());
        double diff = 0, effect = 0;
        for (int i = 0; i < a.get("logprobs").size(); i++) {
            diff = Math.max(diff, Math.abs(a.get("logprobs").get(i).asDouble() - c.get("logprobs").get(i).asDouble()));
            effect = Math.max(effect, Math.abs(a.get("logprobs").get(i).asDouble() - p.get("logprobs").get(i).asDouble()));
        }
        assertTrue(diff < 1e-5, "score with biases vs base + imported vectors: " + diff);
        assertTrue(effect > 0.01, "the bias should change the log-probs: " + effect);

        CliTest.Run bad = CliTest.run("vectors", "import", "--from-checkpoint", plain.toString(), "--out", tmp.resolve("none.safetensors").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("carries no model.layers.N.mlp.down_proj.bias"), bad.err());

        // llama.cpp's graph has no down_proj bias: the GGUF export refuses, says what to do, and writes nothing
        Path gguf = tmp.resolve("biased.gguf");
        CliTest.Run refused = CliTest.run("export", "--model", biased.toString(), "--format", "gguf", "--out", gguf.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("mlp.down_proj.bias") && refused.err().contains("--from-checkpoint") && !Files.exists(gguf), refused.err());
        // a tokenizer whose pre-tokenizer llama.cpp does not know by name
        String tj = Files.readString(plain.resolve("tokenizer.json")).replace("\\p{N}|", "\\p{N}{1,2}|");
        Files.writeString(plain.resolve("tokenizer.json"), tj);
        CliTest.Run pre = CliTest.run("export", "--model", plain.toString(), "--format", "gguf", "--out", gguf.toString());
        assertEquals(2, pre.code());
        assertTrue(pre.err().contains("tokenizer.json") && pre.err().contains("pre_tokenizer") && !Files.exists(gguf), pre.err());
    }
}
