package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.OracleRunner;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;

/**
 * docs/python.md's PyTorch snippet (forward hooks adding steerscope vectors at each decoder layer's output), run as
 * written in the doc on a plain-torch model laid out like transformers', gives the log-probs of score --vectors.
 */
class PythonHooksTest {
    @TempDir
    Path tmp;

    @Test
    void docsSnippetMatchesScoreWithVectors() throws Exception {
        TinyPolicy tiny = new TinyPolicy(tmp, 5);
        Path model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
        SteeringVectors v = new SteeringVectors(tiny.model.config.nLayers(), tiny.model.config.hiddenSize());
        SplittableRandom rng = new SplittableRandom(4);
        for (int l = 0; l < v.nLayers(); l++) {
            float[] x = new float[v.dModel()];
            for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 * rng.nextGaussian());
            v.set(l, x);
        }
        Path vecs = tmp.resolve("v.safetensors");
        VectorFiles.write(v, vecs);

        String text = "Please answer now. What comes first?";
        JsonNode plain = Json.MAPPER.readTree(CliTest.run("score", "--model", model.toString(), "--text", text, "--json").out());
        JsonNode steered = Json.MAPPER.readTree(CliTest.run("score", "--model", model.toString(), "--vectors", vecs.toString(),
                "--text", text, "--json").out());
        Path ids = tmp.resolve("ids.json");
        Files.writeString(ids, plain.get("tokens").toString());

        Process p = new ProcessBuilder(OracleRunner.PYTHON.toString(), "src/test/python/hooks_snippet_check.py", "docs/python.md",
                model.toString(), vecs.toString(), ids.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "python hangs");
        assertEquals(0, p.exitValue(), "hooks_snippet_check.py failed (is Debian's python3-torch installed? scripts/setup-test-deps): " + out);
        JsonNode torch = Json.MAPPER.readTree(out);

        double plainDiff = maxDiff(plain.get("logprobs"), torch.get("plain"));
        double steeredDiff = maxDiff(steered.get("logprobs"), torch.get("steered"));
        double effect = maxDiff(plain.get("logprobs"), steered.get("logprobs"));
        System.out.printf("torch hooks vs score: plain %.3g, steered %.3g; the vectors move log-probs by up to %.3g%n", plainDiff, steeredDiff, effect);
        assertTrue(plainDiff < 1e-4 && steeredDiff < 1e-4, "plain " + plainDiff + ", steered " + steeredDiff);
        assertTrue(effect > 0.05, "the vectors should matter: " + effect);
    }

    private static double maxDiff(JsonNode a, JsonNode b) {
        assertEquals(a.size(), b.size());
        double m = 0;
        for (int i = 0; i < a.size(); i++) m = Math.max(m, Math.abs(a.get(i).asDouble() - b.get(i).asDouble()));
        return m;
    }
}
