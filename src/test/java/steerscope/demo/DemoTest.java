package steerscope.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.util.Bootstrap;

/**
 * `./steerscope demo --quick` end to end: the files it promises, the shape of summary.json, and that RL raised the
 * sampled mean accuracy (the paper's metric) of both methods beyond the 95% interval of the gain. The same check
 * run on the trained vectors scaled to zero (through the plain `eval` command) must fail: it is not vacuous.
 */
class DemoTest {
    @Test
    void quickDemoRaisesTheSampledMeanAndTheCheckFailsOnZeroVectors(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("demo");
        int code = Main.run("demo", "--quick", "--out", out.toString(), "--cache", Path.of("target", "organism-cache").toAbsolutePath().toString());
        assertEquals(0, code);
        JsonNode s = Json.read(out.resolve("summary.json"));
        System.out.println("quick demo: " + s);
        for (String f : List.of("base_accuracy", "vectors_accuracy", "full_finetune_accuracy", "recovered_fraction", "recovered_fraction_ci",
                "recovered_fraction_greedy", "accuracy", "full_gain", "vectors_gain", "targets", "training", "n_test", "trainable_parameters",
                "first_token", "seeds", "stage_seconds", "analysis", "organism", "vectors_file")) {
            assertTrue(s.has(f), "summary.json lacks " + f);
        }
        for (String m : List.of("base", "vectors", "full")) {
            JsonNode a = s.get("accuracy").get(m);
            for (String f : List.of("sampled_mean", "sampled_ci", "greedy", "greedy_ci", "k")) assertTrue(a.has(f), m + " lacks " + f);
            assertEquals(a.get("sampled_mean").asDouble(), s.get(m.equals("full") ? "full_finetune_accuracy" : m + "_accuracy").asDouble());
            assertTrue(a.get("sampled_ci").get(0).asDouble() <= a.get("sampled_mean").asDouble()
                    && a.get("sampled_mean").asDouble() <= a.get("sampled_ci").get(1).asDouble(), m + ": " + a);
        }
        assertTrue(s.get("trainable_parameters").get("vectors").asLong() < s.get("trainable_parameters").get("full").asLong());
        assertTrue(Files.isDirectory(Path.of(s.get("organism").asText())) && Files.isRegularFile(Path.of(s.get("vectors_file").asText())));
        for (String f : List.of("report.html", "runs/vectors/metrics.jsonl", "runs/full/metrics.jsonl", "runs/vectors/vectors.safetensors",
                "ablations.json", "path_patching.json", "eval/base.jsonl", "eval/vectors.jsonl", "eval/full.jsonl")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
        }

        double[] base = sampled(out.resolve("eval/base.jsonl"));
        assertGainClearlyPositive("steering vectors", base, sampled(out.resolve("eval/vectors.jsonl")));
        assertGainClearlyPositive("full fine-tune", base, sampled(out.resolve("eval/full.jsonl")));

        // negative control: the trained vectors at scale 0 through `eval`, same problems, samples and seed as the demo's
        Path zero = tmp.resolve("zero.jsonl");
        int k = s.get("accuracy").get("base").get("k").asInt();
        assertEquals(0, Main.run("eval", "--model", s.get("organism").asText(), "--vectors", s.get("vectors_file").asText(), "--vector-scale", "0",
                "--data", out.resolve("data/test.jsonl").toString(), "--samples", String.valueOf(k), "--seed", s.get("seeds").get("demo").asText(),
                "--batch", "64", "--out", zero.toString()));
        double[] zeroed = sampled(zero);
        Bootstrap.Interval zeroGain = Accuracies.gain(base, zeroed);
        assertFalse(zeroGain.above(0), "zero vectors must not pass the check: " + zeroGain);
    }

    private static void assertGainClearlyPositive(String what, double[] base, double[] method) {
        Bootstrap.Interval g = Accuracies.gain(base, method);
        assertTrue(g.above(0), what + ": sampled-mean gain over the base " + g + " is not above 0 beyond its 95% interval");
    }

    /** Each problem's share of right samples, from an eval results file. */
    private static double[] sampled(Path resultsJsonl) throws IOException {
        List<String> lines = Files.readAllLines(resultsJsonl).stream().filter(l -> !l.isBlank()).toList();
        double[] out = new double[lines.size()];
        for (int i = 0; i < out.length; i++) out[i] = Json.MAPPER.readTree(lines.get(i)).get("sampleAccuracy").asDouble();
        return out;
    }
}
