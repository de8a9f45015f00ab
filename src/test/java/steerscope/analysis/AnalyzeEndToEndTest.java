package steerscope.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;
import steerscope.tensor.DType;
import steerscope.tokenizer.BpeTrainer;
import steerscope.tokenizer.Tokenizer;

/**
 * {@code analyze} on a real-format checkpoint directory (a tiny Qwen2 saved as Hugging Face files and loaded
 * back): every file of docs/analysis-format.md is written with its fields, through the CLI and through
 * {@link Analysis#run}.
 */
class AnalyzeEndToEndTest {
    @TempDir Path tmp;

    @Test
    void writesEveryFileOfTheFormat() throws Exception {
        TinyPolicy tiny = savedTiny();
        Path modelDir = tmp.resolve("model");
        int L = tiny.model.config.nLayers(), d = tiny.model.config.hiddenSize();
        SteeringVectors v = SteeringVectors.zeros(L, d, null);
        SplittableRandom r = new SplittableRandom(1);
        for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) v.get(l)[i] = (float) r.nextGaussian();
        Path vecFile = tmp.resolve("vectors.safetensors");
        VectorFiles.write(v, vecFile);
        List<Problem> problems = new ArrayList<>();
        String[] qs = {"Say something.", "What comes first?", "Reply with one letter.", "Please answer now.", "Say it now."};
        for (int i = 0; i < qs.length; i++) problems.add(new Problem("q" + i, qs[i], "A"));
        Path data = tmp.resolve("test.jsonl");
        Dataset.write(data, problems);

        Path out = tmp.resolve("out");
        long t0 = System.nanoTime();
        int rc = Main.run("analyze", "--model", modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--out", out.toString(), "--limit", "4", "--max-new-tokens", "6", "--batch", "3", "--template", "{question}");
        System.out.printf("analyze on the tiny model: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(0, rc);
        for (String f : Analysis.FILES) assertTrue(Files.isRegularFile(out.resolve(f + ".json")), f);
        JsonNode all = Json.read(out.resolve("analysis.json"));
        for (String f : Analysis.FILES) assertEquals(Json.read(out.resolve(f + ".json")), all.get(f), f);

        JsonNode lens = all.get("logit_lens_vectors");
        assertEquals(L, lens.get("layers").size());
        for (String k : List.of("layer", "norm", "top", "bottom", "top_scaled", "bottom_scaled", "cos_mean_resid")) {
            assertTrue(lens.get("layers").get(0).has(k), k);
        }
        assertEquals(20, lens.get("layers").get(0).get("top").size());
        for (String k : List.of("id", "text", "value")) assertTrue(lens.get("layers").get(0).get("top").get(0).has(k));
        assertEquals(v.norm(1), lens.get("layers").get(1).get("norm").asDouble(), 1e-9);
        assertEquals(L, lens.get("cosine").size());
        assertEquals(1.0, lens.get("cosine").get(0).get(0).asDouble(), 1e-9);

        JsonNode resid = all.get("logit_lens_resid");
        assertEquals(Analysis.TRACKED, resid.get("tracked").size());
        assertEquals(L, resid.get("first_token").get("steered").size());
        assertEquals(L, resid.get("first_token").get("base").size());
        JsonNode t0k = resid.get("first_token").get("steered").get(L - 1).get("tracked").get(0);
        for (String k : List.of("id", "text", "rank", "prob")) assertTrue(t0k.has(k), k);
        assertEquals(L, resid.get("later_tokens").get("steered").size(), "6-token completions give later positions");

        JsonNode abl = all.get("ablations");
        assertEquals(4, abl.get("n").asInt());
        assertEquals(4 + 2 * L, abl.get("conditions").size());
        assertEquals("none", abl.get("conditions").get(0).get("name").asText());
        assertTrue(abl.get("conditions").get(0).get("layer").isNull());
        assertEquals("only_layer_0", abl.get("conditions").get(4).get("name").asText());
        assertEquals(0, abl.get("conditions").get(4).get("layer").asInt());
        assertTrue(abl.has("first_token_only_recovery"));

        JsonNode pp = all.get("path_patching");
        assertEquals(L, pp.get("layers").size());
        assertEquals(L - 1, pp.get("layers").get(0).get("attention").size());
        for (String k : List.of("total_logit_diff", "total_kl", "direct", "attention", "mlp", "shares")) assertTrue(pp.get("layers").get(0).has(k), k);

        JsonNode am = all.get("attention_vs_mlp");
        assertEquals(tiny.model.config.nHeads(), am.get("layers").get(1).get("attn_js").size());
        // the penultimate vector (layer L-2) can only change block L-1
        assertEquals(am.get("layers").get(L - 1).get("attn_js_mean").asDouble(), am.get("penultimate_attention_js").asDouble(), 0);
        assertEquals(L - 1, am.get("penultimate_block").asInt());

        JsonNode tc = all.get("token_categories");
        assertEquals(L, tc.get("lens").size());
        double sum = 0;
        for (String c : List.of("process", "structure", "other")) sum += tc.get("generated").get("steered").get(c).asDouble();
        assertEquals(1.0, sum, 1e-9);

        assertEquals(2, all.get("neurons").get("layers").size());
        JsonNode s = all.get("samples").get("samples");
        assertEquals(4, s.size());
        for (String k : List.of("question", "answer", "base", "steered", "full", "base_correct", "steered_correct", "full_correct")) assertTrue(s.get(0).has(k), k);

        // the Java API the demo calls: the same numbers as the files
        try (Model m = Model.load(modelDir)) {
            Tokenizer tok = Tokenizer.load(modelDir.resolve("tokenizer.json"));
            Prompts prompts = new Prompts(tok, new PromptTemplate("{question}"), null);
            AnalysisResult res = Analysis.run(m, tok, prompts, v, problems.subList(0, 4), new Analysis.Options(6, 3, 32, 8, false), tmp.resolve("api"));
            assertEquals(am.get("penultimate_attention_js").asDouble(), res.penultimateAttentionJs(), 1e-12);
            assertEquals(L, res.pathShares().size());
            assertEquals(Analysis.TRACKED, res.lastLayerTopTokens().size());
            assertEquals(resid.get("tracked").get(0).get("text").asText(), res.lastLayerTopTokens().get(0));
            var summary = Json.MAPPER.readTree(Json.write(res.toSummaryJson()));
            for (String k : List.of("last_layer_top_tokens", "first_token_only_recovery", "penultimate_attention_js", "penultimate_mlp_change", "path_shares")) {
                assertTrue(summary.has(k), k);
            }
        }
    }

    /**
     * The PyTorch oracle's BF16 Qwen2 checkpoint (3 layers, vocab 97, no tokenizer): a byte-level tokenizer with
     * no merges gives ids below 97 to upper-case text, digits and symbols, so the analyses read it as it is.
     * Vectors on layers 1 and 2 only: blocks 0 and 1 come before them, so their attention cannot change.
     */
    @Test
    void runsOnTheOracleBf16Checkpoint() throws Exception {
        Path ckpt = steerscope.OracleRunner.checkpoint("qwen2-bf16", "all");
        Path tj = tmp.resolve("tokenizer.json");
        new BpeTrainer(257, List.of("<|endoftext|>"), 0).train(List.of()).writeTokenizerJson(tj);
        Tokenizer tok = Tokenizer.load(tj);
        try (Model m = Model.load(ckpt)) {
            assertEquals(DType.BF16, m.weights.dtype());
            int L = m.config.nLayers(), d = m.config.hiddenSize();
            SteeringVectors v = SteeringVectors.zeros(L, d, new int[] {1, 2});
            SplittableRandom r = new SplittableRandom(2);
            for (int l : v.layers()) for (int i = 0; i < d; i++) v.get(l)[i] = (float) (3 * r.nextGaussian());
            List<Problem> problems = List.of(new Problem("a", "WHAT IS 2+3?", "5"), new Problem("b", "ADD 4 AND 4.", "8"),
                    new Problem("c", "COMPUTE 7-1:", "6"));
            Prompts prompts = new Prompts(tok, new PromptTemplate("Q: {question} A:"), null);
            for (Problem p : problems) for (int id : prompts.encode(p)) assertTrue(id < m.config.vocabSize());
            Path out = tmp.resolve("oracle-out");
            AnalysisResult res = Analysis.run(m, tok, prompts, v, problems, new Analysis.Options(5, 2, 8, 4, false), out);
            JsonNode am = Json.read(out.resolve("attention_vs_mlp.json"));
            assertEquals(0.0, am.get("layers").get(0).get("attn_js_mean").asDouble(), 0.0);
            assertEquals(0.0, am.get("layers").get(1).get("attn_js_mean").asDouble(), 0.0);
            // block 2 (= L-1) reads the layer-1 (penultimate) vector
            assertTrue(am.get("layers").get(2).get("attn_js_mean").asDouble() > 0);
            assertEquals(am.get("layers").get(2).get("attn_js_mean").asDouble(), res.penultimateAttentionJs(), 0.0);
            JsonNode pp = Json.read(out.resolve("path_patching.json"));
            assertEquals(2, pp.get("layers").size());
            assertEquals(1, pp.get("layers").get(0).get("attention").size());
            assertEquals(1.0, pp.get("layers").get(1).get("shares").get("direct").asDouble(), 1e-9);
            JsonNode lens = Json.read(out.resolve("logit_lens_vectors.json"));
            for (JsonNode t : lens.get("layers").get(0).get("top")) assertTrue(t.get("id").asInt() < m.config.vocabSize());
            assertEquals(3, Json.read(out.resolve("samples.json")).get("samples").size());
        }
    }

    /**
     * {@code analyze --single-layer-steps}: one RL run per layer, then the paper's checks on the last and
     * penultimate single-layer vectors; every file is written with its main fields, verdicts.json beside the
     * report; and a distractor list next to the model is read.
     */
    @Test
    void singleLayerSweepAndThePaperChecksThroughTheCli() throws Exception {
        TinyPolicy tiny = savedTiny();
        Path modelDir = tmp.resolve("model");
        int L = tiny.model.config.nLayers(), d = tiny.model.config.hiddenSize();
        Path vecFile = tmp.resolve("vectors.safetensors");
        VectorFiles.write(SteeringVectors.zeros(L, d, null), vecFile);
        List<Problem> problems = new ArrayList<>();
        String[] qs = {"Say something.", "What comes first?", "Reply with one letter.", "Please answer now."};
        for (int i = 0; i < qs.length; i++) problems.add(new Problem("q" + i, qs[i], "7"));
        Path data = tmp.resolve("test.jsonl");
        Dataset.write(data, problems);
        Files.writeString(modelDir.resolve(HfModelExport.DISTRACTOR_TOKENS_FILE), "{\"ids\": [65, 66, 67]}");
        Path out = tmp.resolve("paper");
        long t0 = System.nanoTime();
        int rc = Main.run("analyze", "--model", modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--out", out.toString(), "--limit", "4", "--max-new-tokens", "4", "--batch", "4", "--template", "{question}",
                "--single-layer-steps", "2", "--train-data", data.toString(), "--paper-samples", "2");
        System.out.printf("analyze with a 2-step single-layer sweep and the paper's checks, tiny model: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(0, rc);
        JsonNode sl = Json.read(out.resolve("single_layer.json"));
        assertEquals(L, sl.get("layers").size());
        for (String k : List.of("layer", "accuracy", "ci", "gain_over_base", "vector_norm", "run_dir", "train_seconds", "eval_seconds"))
            assertTrue(sl.get("layers").get(0).has(k), k);
        assertTrue(sl.get("layers").get(0).get("train_seconds").asDouble() > 0, "the run's steps were timed");
        // what the run cost, in analysis.json
        JsonNode res = Json.read(out.resolve("analysis.json")).get("resources");
        for (String k : List.of("analysis", "single_layer_sweep", "paper_checks", "total")) assertTrue(res.get("seconds").get(k).isNumber(), k);
        assertTrue(res.get("peak_rss_mib").asLong() > 0 && res.get("peak_heap_mib").asLong() > 0, res.toString());
        // a sweep layer the model lacks, or sweep layers without a sweep, are refused before anything runs
        assertEquals(2, Main.run("analyze", "--model", modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--out", tmp.resolve("bad-layer").toString(), "--limit", "2", "--max-new-tokens", "2", "--template", "{question}",
                "--single-layer-steps", "1", "--train-data", data.toString(), "--single-layer-sweep-layers", "0," + L));
        assertFalse(Files.exists(tmp.resolve("bad-layer").resolve("analysis.json")));
        assertEquals(2, Main.run("analyze", "--model", modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--out", tmp.resolve("no-sweep").toString(), "--limit", "2", "--max-new-tokens", "2", "--template", "{question}",
                "--single-layer-sweep-layers", "0"));
        for (String f : PaperChecks.FILES) assertTrue(Files.isRegularFile(out.resolve(f + ".json")), f);
        JsonNode dp = Json.read(out.resolve("delta_p.json"));
        assertEquals(L - 1, dp.get("last").get("layer").asInt());
        assertEquals(L - 2, dp.get("penultimate").get("layer").asInt());
        for (String k : List.of("n_eos", "n_sequences", "position_classes", "pos0_kl_share", "kl_pos0_minus_later", "pos0_boosted", "by_token", "categories"))
            assertTrue(dp.get("last").has(k), k);
        JsonNode circuit = Json.read(out.resolve("circuit.json"));
        assertEquals(L - 1, circuit.get("block").asInt());
        assertEquals("skip_attention", circuit.get("conditions").get(2).get("name").asText());
        assertEquals(3, Json.read(out.resolve("middle_layers.json")).get("n_distractor_tokens").asInt());
        JsonNode verdicts = Json.read(out.resolve("verdicts.json"));
        assertEquals(4, verdicts.get("claims").size());
        for (JsonNode c : verdicts.get("claims")) assertTrue(List.of("reproduced", "not_reproduced", "inconclusive").contains(c.get("status").asText()));
        // a vectors file with more than the one layer is refused with exit 2
        assertEquals(2, Main.run("analyze", "--model", modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--out", tmp.resolve("bad").toString(), "--limit", "2", "--max-new-tokens", "2", "--template", "{question}",
                "--last-layer-vectors", vecFile.toString(), "--penultimate-vectors", vecFile.toString()));
    }

    /** The tiny model, also saved as Hugging Face files in tmp/model. */
    private TinyPolicy savedTiny() {
        TinyPolicy tiny = new TinyPolicy(tmp.resolve("tiny"), 11);
        HfModelExport.write(tiny.vectors().model, tmp.resolve("model"));
        return tiny;
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path t) {
        assertEquals(2, Main.run("analyze", "--model", t.resolve("nope").toString(), "--vectors", "v", "--data", "d", "--out", t.toString()));
    }
}
