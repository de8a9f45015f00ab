package steerscope.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;

/** The --spark flag of train and eval, through the CLI, against the same commands without it. */
class SparkCliTest {
    @Test
    void trainAndEvalWithSparkMatchTheSingleMachineCommands(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 7);
        Path data = dir.resolve("data.jsonl");
        StringBuilder sb = new StringBuilder();
        for (var p : kit.problems) sb.append("{\"question\":\"").append(p.question()).append("\",\"answer\":\"7\"}\n");
        Files.writeString(data, sb.toString());
        String model = kit.modelDir.toString();
        List<String> train = List.of("train", "--model", model, "--data", data.toString(), "--group", "4", "--prompts-per-step", "4",
                "--steps", "2", "--max-new-tokens", "4", "--length-penalty", "0.5", "--length-budget", "1", "--seed", "3", "--no-chat", "--template", "{question}");

        assertEquals(0, run(cat(train, "--out", dir.resolve("single").toString())));
        assertEquals(0, run(cat(train, "--out", dir.resolve("spark").toString(), "--spark", "local[2]")));
        SteeringVectors a = VectorFiles.read(dir.resolve("single/vectors.safetensors"));
        SteeringVectors b = VectorFiles.read(dir.resolve("spark/vectors.safetensors"));
        // the vectors moved (two Adam steps at lr 1e-3 move a coordinate by up to 2e-3), so equal means something
        assertTrue(SparkTestKit.maxAbs(a) > 1e-4, "the single-machine vectors did not move: " + SparkTestKit.maxAbs(a));
        float diff = SparkTestKit.maxAbsDiff(a, b);
        assertTrue(diff <= SparkStepTest.TOLERANCE * Math.max(SparkTestKit.maxAbs(a), 1e-3f), "vectors differ by " + diff);
        List<String> ma = Files.readAllLines(dir.resolve("single/metrics.jsonl")), mb = Files.readAllLines(dir.resolve("spark/metrics.jsonl"));
        assertEquals(2, mb.size());
        for (int i = 0; i < ma.size(); i++) assertEquals(field(ma.get(i), "reward_mean"), field(mb.get(i), "reward_mean"));

        List<String> eval = List.of("eval", "--model", model, "--data", data.toString(), "--samples", "2", "--max-new-tokens", "3",
                "--batch", "3", "--no-chat", "--template", "{question}", "--vectors", dir.resolve("spark/vectors.safetensors").toString());
        assertEquals(0, run(cat(eval, "--out", dir.resolve("single.jsonl").toString())));
        assertEquals(0, run(cat(eval, "--out", dir.resolve("spark.jsonl").toString(), "--spark", "local[2]")));
        assertEquals(Files.readString(dir.resolve("single.jsonl")), Files.readString(dir.resolve("spark.jsonl")));
        assertEquals(Files.readString(dir.resolve("single.summary.json")), Files.readString(dir.resolve("spark.summary.json")));
    }

    @Test
    void fullFineTuningOnSparkIsRefusedWithTheGradientSize(@TempDir Path dir) throws Exception {
        SparkTestKit kit = new SparkTestKit(dir, 8);
        Path data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"question\":\"Say something.\",\"answer\":\"7\"}\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("train", "--model", kit.modelDir.toString(), "--data", data.toString(), "--out", dir.resolve("run").toString(),
                    "--params", "full", "--spark", "local[2]");
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, msg);
        long bytes = kit.model.config.parameterCount() * 4;
        assertTrue(msg.contains("steering vectors only") && msg.contains(String.format(Locale.ROOT, "%,d bytes", bytes)), msg);
        assertTrue(!Files.exists(dir.resolve("run")), "refused before anything was written");
    }

    private static int run(List<String> args) {
        return Main.run(args.toArray(String[]::new));
    }

    private static List<String> cat(List<String> a, String... more) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static String field(String jsonLine, String name) throws Exception {
        return Json.MAPPER.readTree(jsonLine).get(name).toString();
    }
}
