package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;

/**
 * Runs {@code analyze} with a single-layer sweep and the paper's checks as a separate JVM, kills it with
 * SIGKILL when seeded stages have been written (plus a seeded delay, so kills land inside the next stage),
 * runs the same command again each time, and checks that every JSON file of the resumed run equals the
 * uninterrupted run's (times and run paths aside) and the sweep's vectors are the same bit for bit.
 */
class AnalyzeKillResumeTest {
    /** Files written in this order by one analyze run: where a kill may be aimed. */
    private static final List<String> MARKS = List.of("analysis.json", "single_layer_runs/base.json", "single_layer_runs/layer-0/evaluation.json",
            "single_layer.json", "paper_checks/base.json", "paper_checks/last.json", "delta_p.json", "prefix.json", "circuit.json",
            "persistence.json");
    private static final int KILLS = 3;

    @TempDir
    Path tmp;

    private static List<String> command(Path model, Path vectors, Path data, Path out) {
        List<String> cmd = new ArrayList<>(TinyRun.javaCommand(Main.class));
        cmd.addAll(List.of("analyze", "--model", model.toString(), "--vectors", vectors.toString(), "--data", data.toString(),
                "--out", out.toString(), "--limit", "6", "--max-new-tokens", "4", "--batch", "6", "--forward-prompts", "3", "--template", "{question}",
                "--single-layer-steps", "1", "--train-data", data.toString(), "--single-layer-lr", "0.05", "--paper-samples", "3", "--no-per-head",
                "--seed", "3"));
        return cmd;
    }

    private static Process start(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @Test
    void killedAndResumedAnalyzeEqualsAnUninterruptedOne() throws Exception {
        Path model = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        Path data = TinyRun.dataset(tmp.resolve("data.jsonl"));
        Path vectors = tmp.resolve("vectors.safetensors");
        SteeringVectors v = SteeringVectors.zeros(2, 32, null);
        Random r = new Random(9);
        for (int l = 0; l < 2; l++) for (int i = 0; i < 32; i++) v.get(l)[i] = (float) (0.5 * r.nextGaussian());
        VectorFiles.write(v, vectors);

        Path ref = tmp.resolve("ref"), refLog = tmp.resolve("ref.log");
        Process p = start(command(model, vectors, data, ref), refLog);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "reference run hangs");
        assertEquals(0, p.exitValue(), () -> "reference run failed: " + TinyRun.read(refLog));
        for (String m : MARKS) assertTrue(Files.isRegularFile(ref.resolve(m)), m + " is written by a whole run");

        Path run = tmp.resolve("killed"), log = tmp.resolve("killed.log");
        Random rnd = new Random(17);
        int[] after = rnd.ints(0, MARKS.size()).distinct().limit(KILLS).sorted().toArray();
        List<String> kills = new ArrayList<>();
        for (int a : after) {
            Process q = start(command(model, vectors, data, run), log);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (q.isAlive() && !Files.isRegularFile(run.resolve(MARKS.get(a))) && System.nanoTime() < deadline) Thread.sleep(1);
            long extra = (long) (rnd.nextDouble() * 300);
            long until = System.nanoTime() + extra * 1_000_000;
            String next = a + 1 < MARKS.size() ? MARKS.get(a + 1) : null; // an event, not the clock: kill before the next stage is done
            while (q.isAlive() && System.nanoTime() < until && (next == null || !Files.isRegularFile(run.resolve(next)))) Thread.sleep(1);
            boolean exited = !q.isAlive();
            q.destroyForcibly(); // SIGKILL on Linux
            assertTrue(q.waitFor(1, TimeUnit.MINUTES));
            kills.add((exited ? "exited before the kill" : "killed") + " after " + MARKS.get(a) + " + " + extra + " ms");
            if (exited) assertEquals(0, q.exitValue(), () -> "run failed: " + TinyRun.read(log));
        }
        Process last = start(command(model, vectors, data, run), log);
        assertTrue(last.waitFor(5, TimeUnit.MINUTES), "resumed run hangs");
        assertEquals(0, last.exitValue(), () -> "resumed run failed: " + TinyRun.read(log));
        System.out.println("analyze kills: " + String.join("; ", kills));
        assertTrue(kills.stream().filter(s -> s.startsWith("killed")).count() >= 2, "at least two kills landed: " + kills);

        Map<String, JsonNode> a = jsonFiles(ref), b = jsonFiles(run);
        assertEquals(a.keySet(), b.keySet(), "the same files");
        for (String f : a.keySet()) assertEquals(a.get(f), b.get(f), f + " differs from the uninterrupted run");
        assertEquals(2, a.get("single_layer.json").get("layers").size());
        // the tiny model never writes a boxed answer, so the paper's reward does not vary and the single-layer vectors
        // stay at zero here; KillResumeTest covers a killed RL run whose vectors move
        for (int l = 0; l < 2; l++) {
            SteeringVectors x = VectorFiles.read(ref.resolve("single_layer_runs/layer-" + l + "/vectors.safetensors"));
            SteeringVectors y = VectorFiles.read(run.resolve("single_layer_runs/layer-" + l + "/vectors.safetensors"));
            assertArrayEquals(x.get(l), y.get(l), "layer " + l + " vector");
        }
    }

    /**
     * Every .json file under dir, by relative path, without what differs between equal runs: times (fields
     * named *seconds), the run directories' paths, the resources of the invocation; checkpoints (the Trainer's
     * own kill test covers them) are left out.
     */
    private static Map<String, JsonNode> jsonFiles(Path dir) throws IOException {
        Map<String, JsonNode> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".json") && !f.toString().contains("checkpoints")).toList()) {
                JsonNode n = Json.read(f);
                strip(n);
                out.put(dir.relativize(f).toString(), n);
            }
        }
        return out;
    }

    private static void strip(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (k.endsWith("seconds") || k.equals("run_dir") || k.equals("resources")) it.remove();
            }
        }
        for (JsonNode c : n) strip(c);
    }
}
