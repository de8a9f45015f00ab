package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import steerscope.cli.Main;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;

/**
 * Runs {@code train} as a separate JVM, kills it with SIGKILL at seeded random moments, resumes each time,
 * and checks that the result equals an uninterrupted run with the same seed bit for bit, and that after every
 * kill the checkpoint {@code latest} names is whole.
 */
class KillResumeTest {
    private static final int STEPS = 8;
    private static final int KILLS = 4;

    @TempDir
    Path tmp;

    private List<String> command(Path model, Path data, Path out, String params) {
        List<String> cmd = new ArrayList<>(TinyRun.javaCommand(Main.class));
        cmd.addAll(List.of("train",
                "--model", model.toString(), "--data", data.toString(), "--out", out.toString(), "--params", params,
                "--steps", String.valueOf(STEPS), "--group", "8", "--prompts-per-step", "4", "--max-new-tokens", "4",
                "--checkpoint-every", "1", "--seed", "5", "--template", "{question}", "--lr", params.equals("full") ? "0.01" : "0.05",
                "--answer-fallback", "--resume")); // the tiny model writes bare digits, never a box
        return cmd;
    }

    private static Process start(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vectors", "full"})
    void killedAndResumedRunsEqualAnUninterruptedOne(String params) throws Exception {
        Path model = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        Path data = TinyRun.dataset(tmp.resolve("data.jsonl"));

        // the uninterrupted run, timed to pick kill moments inside a run's life
        Path ref = tmp.resolve("ref");
        Path refLog = tmp.resolve("ref.log");
        long t0 = System.nanoTime();
        Process p = start(command(model, data, ref, params), refLog);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "reference run hangs");
        long refMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, p.exitValue(), () -> "reference run failed: " + TinyRun.read(refLog));

        // kill points: after a seeded number of steps (read from metrics.jsonl) plus a seeded part of a step,
        // so kills land in sampling, in the backward, and while a checkpoint is written
        double stepMillis = metrics(ref).stream().mapToDouble(m -> m.get("step_seconds").asDouble() * 1000).average().orElseThrow();
        Path run = tmp.resolve("killed");
        Path log = tmp.resolve("killed.log");
        Random rnd = new Random(params.hashCode());
        int[] afterSteps = rnd.ints(1, STEPS).distinct().limit(KILLS).sorted().toArray();
        List<String> kills = new ArrayList<>();
        for (int after : afterSteps) {
            long extra = (long) (rnd.nextDouble() * 2 * stepMillis);
            Process q = start(command(model, data, run, params), log);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (q.isAlive() && linesIn(run.resolve("metrics.jsonl")) < after && System.nanoTime() < deadline) Thread.sleep(2);
            // a seeded part of the next step, cut short by the next metrics line (an event, not the clock), so a
            // loaded machine still kills inside the run rather than after it ended
            long until = System.nanoTime() + extra * 1_000_000;
            while (q.isAlive() && System.nanoTime() < until && linesIn(run.resolve("metrics.jsonl")) <= after) Thread.sleep(1);
            boolean exited = !q.isAlive();
            q.destroyForcibly(); // SIGKILL on Linux
            assertTrue(q.waitFor(1, TimeUnit.MINUTES));
            String at = checkCheckpoints(run);
            kills.add((exited ? "exited before the kill" : "killed") + " after " + after + " steps + " + extra + " ms, latest " + at);
            if (exited) assertEquals(0, q.exitValue(), () -> "run failed: " + TinyRun.read(log));
        }
        Process last = start(command(model, data, run, params), log);
        assertTrue(last.waitFor(5, TimeUnit.MINUTES), "resumed run hangs");
        assertEquals(0, last.exitValue(), () -> "resumed run failed: " + TinyRun.read(log));
        System.out.printf("%s: uninterrupted run %d ms (%.0f ms a step); %s%n", params, refMillis, stepMillis, String.join("; ", kills));
        assertTrue(kills.stream().filter(s -> s.startsWith("killed")).count() >= 2, "at least two kills landed: " + kills);

        if (params.equals("vectors")) {
            assertSameVectors(ref, run);
        } else {
            Map<String, float[]> a = TinyRun.tensors(ref.resolve("model/model.safetensors"));
            Map<String, float[]> b = TinyRun.tensors(run.resolve("model/model.safetensors"));
            Map<String, float[]> base = TinyRun.tensors(model.resolve("model.safetensors"));
            assertEquals(a.keySet(), b.keySet());
            boolean moved = false;
            for (String n : a.keySet()) {
                assertArrayEquals(a.get(n), b.get(n), n + " differs from the uninterrupted run");
                moved |= !Arrays.equals(a.get(n), base.get(n));
            }
            assertTrue(moved, "the weights must have moved");
        }
        // the rewards varied (so the gradient was not zero), and the metrics of the resumed run are the same
        List<JsonNode> ma = metrics(ref), mb = metrics(run);
        assertEquals(STEPS, mb.size());
        System.out.println(params + ": reward per step " + ma.stream().map(m -> m.get("reward_mean").asText()).toList());
        assertTrue(ma.stream().anyMatch(m -> m.get("accuracy").asDouble() > 0), "some right answer (so the +1/-1 rewards varied)");
        for (int i = 0; i < STEPS; i++) {
            assertEquals(ma.get(i).get("reward_mean"), mb.get(i).get("reward_mean"), "step " + i);
            assertEquals(ma.get(i).get("loss"), mb.get(i).get("loss"), "step " + i);
        }
    }

    /** The two runs' vectors.safetensors are equal bit for bit, and not zero. */
    static void assertSameVectors(Path ref, Path run) {
        SteeringVectors a = VectorFiles.read(ref.resolve("vectors.safetensors"));
        SteeringVectors b = VectorFiles.read(run.resolve("vectors.safetensors"));
        double norm = 0;
        for (int l : a.layers()) {
            assertArrayEquals(a.get(l), b.get(l), "layer " + l + " differs from the uninterrupted run");
            norm += a.norm(l);
        }
        assertTrue(norm > 0, "the vectors must have moved");
    }

    /**
     * What a resume would read: {@code latest} names a step-N directory whose files all load; nothing else
     * (a temp file or directory) looks like a checkpoint. Returns what latest names, or "none".
     */
    static String checkCheckpoints(Path run) throws IOException {
        Path dir = run.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return "none";
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String n = p.getFileName().toString();
                boolean known = n.equals("latest") || n.matches("step-\\d{6}") || n.matches("\\.step-\\d{6}\\.tmp") || n.matches("\\.latest\\..*\\.tmp");
                if (!known) fail("unexpected entry in checkpoints/: " + n);
            }
        }
        Path latest = dir.resolve("latest");
        if (!Files.exists(latest)) return "none";
        String name = Files.readString(latest).trim();
        if (!name.matches("step-\\d{6}")) fail("checkpoints/latest holds '" + name + "'");
        Path cp = dir.resolve(name);
        try (SafeTensors st = SafeTensors.open(cp.resolve("params.safetensors"))) {
            for (String t : st.entries().keySet()) st.floats(t);
        }
        try (SafeTensors st = SafeTensors.open(cp.resolve("optimizer.safetensors"))) {
            for (String t : st.entries().keySet()) st.floats(t);
        }
        int next = Json.read(cp.resolve("state.json")).get("next_step").asInt();
        assertEquals(Integer.parseInt(name.substring(5)), next, name + "/state.json");
        List<String> lines = Files.readAllLines(cp.resolve("metrics.jsonl"));
        assertEquals(next, lines.size(), name + "/metrics.jsonl has one line per step done");
        for (String l : lines) Json.MAPPER.readTree(l);
        return name;
    }

    static long linesIn(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException | UncheckedIOException e) {
            return 0; // not there yet, or being replaced
        }
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(l));
        return out;
    }

    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
