package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.analysis.Analysis;
import steerscope.analysis.Setup;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;

/**
 * analyze on Spark writes the same files as analyze on one machine: every string, integer, boolean and
 * array length equal (texts, ranks, token ids, accuracies, counts), every other number within
 * {@link #TOLERANCE} relative (the sums are added in another order). stage_seconds is left out.
 */
class SparkAnalyzeTest {
    /** Relative tolerance for numbers that are sums over prompts merged in another order (plus 1e-12 absolute). */
    static final double TOLERANCE = 1e-9;

    @Test
    void sparkAnalysisWritesTheSameFilesAsTheSingleMachineAnalysis(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 5);
        SteeringVectors v = vectors(kit, 1);
        Policy policy = kit.policy();
        // 8 problems in 3 tasks (3, 3, 2) and batches of 3 cut by the 5 forward prompts: the forward-only sums
        // come from two tasks in pass 1 and three in pass 2 (2, 2, 1), none of them aligned with a single-machine batch
        Analysis.Options opt = new Analysis.Options(6, 3, 5, 4, false);
        Setup setup = new Setup(kit.model, policy.tokenizer, policy.prompts, v, opt);
        Analysis.run(setup, kit.problems, dir.resolve("single"), Analysis.local(setup));
        try (JavaSparkContext sc = SparkContexts.start("local[2]", "test", SparkTestKit.loopback())) {
            SparkAnalysis.run(sc, kit.spec, setup, kit.problems, dir.resolve("spark"), 3);
        }
        double worst = 0;
        for (String f : Analysis.FILES) worst = Math.max(worst, assertSameFile(dir.resolve("single"), dir.resolve("spark"), f + ".json"));
        worst = Math.max(worst, assertSameFile(dir.resolve("single"), dir.resolve("spark"), "analysis.json"));
        System.out.printf("largest relative difference, Spark vs one machine: %.3g%n", worst);

        // the measurements are real: every problem sampled, 5 forward prompts, positions past the first token read
        JsonNode all = Json.read(dir.resolve("spark/analysis.json"));
        assertEquals(kit.problems.size(), all.get("samples").get("samples").size());
        assertEquals(kit.problems.size(), all.get("ablations").get("n").asInt());
        assertEquals(5, all.get("path_patching").get("n_prompts").asInt());
        assertEquals(5, all.get("logit_lens_resid").get("n_first_positions").asInt());
        assertTrue(all.get("logit_lens_resid").get("n_later_positions").asInt() > 0);
        for (int i = 0; i < kit.problems.size(); i++) {
            assertEquals(kit.problems.get(i).question(), all.get("samples").get("samples").get(i).get("question").asText(), "samples in problem order");
        }
    }

    @Test
    void analyzeWithSparkThroughTheCliMatchesAnalyzeWithout(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 9);
        Path vecFile = dir.resolve("vectors.safetensors");
        VectorFiles.write(vectors(kit, 2), vecFile);
        Path data = dir.resolve("data.jsonl");
        Dataset.write(data, kit.problems);
        List<String> args = List.of("analyze", "--model", kit.modelDir.toString(), "--vectors", vecFile.toString(), "--data", data.toString(),
                "--limit", "7", "--max-new-tokens", "5", "--batch", "4", "--forward-prompts", "3", "--no-chat", "--template", "{question}");
        assertEquals(0, Main.run(cat(args, "--out", dir.resolve("single").toString()).toArray(String[]::new)));
        assertEquals(0, Main.run(cat(cat(args, "--out", dir.resolve("spark").toString()), "--spark", "local[2]").toArray(String[]::new)));
        for (String f : Analysis.FILES) assertSameFile(dir.resolve("single"), dir.resolve("spark"), f + ".json");
        assertEquals(7, Json.read(dir.resolve("spark/samples.json")).get("samples").size());
        assertTrue(Files.isRegularFile(dir.resolve("spark/report.html")));
    }

    /** Gaussian vectors on every layer. */
    private static SteeringVectors vectors(SparkTestKit kit, long seed) {
        int L = kit.model.config.nLayers(), d = kit.model.config.hiddenSize();
        SteeringVectors v = SteeringVectors.zeros(L, d, null);
        SplittableRandom r = new SplittableRandom(seed);
        for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) v.get(l)[i] = (float) r.nextGaussian();
        return v;
    }

    /** Asserts two JSON files are the same up to {@link #TOLERANCE}; returns the largest relative difference of a number. */
    static double assertSameFile(Path a, Path b, String name) throws Exception {
        JsonNode x = Json.read(a.resolve(name)), y = Json.read(b.resolve(name));
        if (x.isObject()) ((com.fasterxml.jackson.databind.node.ObjectNode) x).remove("stage_seconds");
        if (y.isObject()) ((com.fasterxml.jackson.databind.node.ObjectNode) y).remove("stage_seconds");
        return same(x, y, name);
    }

    private static double same(JsonNode x, JsonNode y, String path) {
        if (x.isFloatingPointNumber() || y.isFloatingPointNumber()) {
            if (!x.isNumber() || !y.isNumber()) fail(path + ": " + x + " vs " + y);
            double p = x.asDouble(), q = y.asDouble(), diff = Math.abs(p - q), scale = Math.max(Math.abs(p), Math.abs(q));
            if (diff > TOLERANCE * scale + 1e-12) fail(path + ": " + p + " vs " + q + " (relative " + diff / scale + ")");
            return scale == 0 ? 0 : diff / scale;
        }
        if (x.isContainerNode()) {
            assertEquals(x.getNodeType(), y.getNodeType(), path);
            assertEquals(x.size(), y.size(), path + " size");
            double worst = 0;
            if (x.isArray()) {
                for (int i = 0; i < x.size(); i++) worst = Math.max(worst, same(x.get(i), y.get(i), path + "[" + i + "]"));
            } else {
                Iterator<Map.Entry<String, JsonNode>> it = x.fields();
                while (it.hasNext()) {
                    var e = it.next();
                    assertTrue(y.has(e.getKey()), path + "." + e.getKey());
                    worst = Math.max(worst, same(e.getValue(), y.get(e.getKey()), path + "." + e.getKey()));
                }
            }
            return worst;
        }
        assertEquals(x, y, path); // strings, integers, booleans, null: exact
        return 0;
    }

    private static List<String> cat(List<String> a, String... more) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }
}
