package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.io.Json;

/**
 * Ctrl-C (SIGINT) and SIGTERM in the middle of {@code train}, as {@link KillResumeTest} does with SIGKILL: the
 * run exits with the signal's status, says how to resume, leaves no temp file, keeps a whole checkpoint, and
 * {@code --resume} then ends with the vectors and metrics of an uninterrupted run, bit for bit. The organism's
 * half-trained directory and an earlier eval's results come through an interrupt the same way.
 */
class InterruptResumeTest {
    private static final int STEPS = 12;

    @TempDir
    Path tmp;

    private static List<String> command(Path model, Path data, Path out, boolean resume) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // a background process may inherit SIGINT ignored (as a shell's `cmd &` does); a terminal's Ctrl-C does not
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT,TERM", java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "steerscope.cli.Main", "train",
                "--model", model.toString(), "--data", data.toString(), "--out", out.toString(), "--steps", String.valueOf(STEPS),
                "--group", "8", "--prompts-per-step", "4", "--max-new-tokens", "4", "--checkpoint-every", "2", "--seed", "7",
                "--template", "{question}", "--lr", "0.05", "--answer-fallback")); // bare-digit answers, no box
        if (resume) cmd.add("--resume");
        return cmd;
    }

    private static Process start(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @ParameterizedTest
    @CsvSource({"INT, 130, 3", "TERM, 143, 6"})
    void interruptedThenResumedEqualsUninterrupted(String signal, int status, int afterSteps) throws Exception {
        Path model = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        Path data = TinyRun.dataset(tmp.resolve("data.jsonl"));
        Path ref = tmp.resolve("ref");
        Process p = start(command(model, data, ref, false), tmp.resolve("ref.log"));
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "reference run hangs");
        assertEquals(0, p.exitValue(), () -> "reference run failed: " + KillResumeTest.read(tmp.resolve("ref.log")));

        Path run = tmp.resolve("run");
        Path log = tmp.resolve("run.log");
        Process q = start(command(model, data, run, false), log);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (q.isAlive() && KillResumeTest.linesIn(run.resolve("metrics.jsonl")) < afterSteps && System.nanoTime() < deadline) Thread.sleep(2);
        assertTrue(q.isAlive(), () -> "the run ended before the signal: " + KillResumeTest.read(log));
        Process kill = new ProcessBuilder("kill", "-s", signal, String.valueOf(q.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
        assertTrue(q.waitFor(2, TimeUnit.MINUTES), "the run does not stop on SIG" + signal);
        String out = KillResumeTest.read(log);
        System.out.println("SIG" + signal + " after " + afterSteps + " steps:\n" + out.lines().filter(l -> !l.startsWith("train")).toList());
        assertEquals(status, q.exitValue(), () -> "exit status after SIG" + signal + ": " + out);
        assertFalse(Files.exists(run.resolve("vectors.safetensors")), "the run finished before the signal reached it");
        assertTrue(out.contains("interrupted") && out.contains("--resume"), () -> "says how to resume: " + out);
        try (Stream<Path> all = Files.walk(run)) {
            List<String> temps = all.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".") || n.endsWith(".tmp")).toList();
            assertEquals(List.of(), temps, "temp files left behind");
        }
        String latest = KillResumeTest.checkCheckpoints(run);
        assertTrue(out.contains(latest), () -> "names the checkpoint " + latest + ": " + out);

        Process r = start(command(model, data, run, true), log);
        assertTrue(r.waitFor(5, TimeUnit.MINUTES), "resumed run hangs");
        assertEquals(0, r.exitValue(), () -> "resumed run failed: " + KillResumeTest.read(log));
        KillResumeTest.assertSameVectors(ref, run);
        List<String> ma = Files.readAllLines(ref.resolve("metrics.jsonl")), mb = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(STEPS, mb.size());
        for (int i = 0; i < STEPS; i++) {
            JsonNode x = Json.MAPPER.readTree(ma.get(i)), y = Json.MAPPER.readTree(mb.get(i));
            assertEquals(x.get("reward_mean"), y.get("reward_mean"), "step " + i);
            assertEquals(x.get("loss"), y.get("loss"), "step " + i);
        }
    }

    @org.junit.jupiter.api.Test
    void anInterruptedOrganismLeavesNoHalfTrainedDirectory() throws Exception {
        Path out = tmp.resolve("organism");
        Path log = tmp.resolve("organism.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process q = start(List.of("env", "--default-signal=INT", java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "steerscope.cli.Main", "organism", "--out", out.toString(), "--quick",
                "--set", "documents=2000", "--set", "steps=100000"), log);
        // training has begun once the temporary directory holds the tokenizer
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (q.isAlive() && temps(tmp).stream().noneMatch(p -> Files.exists(p.resolve("tokenizer.json"))) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(q.isAlive(), () -> "the organism ended before the signal: " + KillResumeTest.read(log));
        assertEquals(1, temps(tmp).size(), "the half-trained directory exists while it trains");
        assertEquals(0, new ProcessBuilder("kill", "-s", "INT", String.valueOf(q.pid())).start().waitFor());
        assertTrue(q.waitFor(2, TimeUnit.MINUTES), "the organism does not stop on SIGINT");
        assertEquals(130, q.exitValue(), () -> KillResumeTest.read(log));
        assertTrue(KillResumeTest.read(log).contains("interrupted; nothing was saved in " + out), () -> KillResumeTest.read(log));
        assertEquals(List.of(), temps(tmp), "the half-trained directory is removed");
        assertFalse(Files.exists(out));
    }

    @org.junit.jupiter.api.Test
    void anInterruptedEvalKeepsTheEarlierResultsAndLeavesNoTempFile() throws Exception {
        Path model = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 400; i++) lines.add(Json.write(Map.of("question", "What is " + i % 7 + "+" + i % 3 + "?", "answer", String.valueOf(i % 7 + i % 3))));
        Path data = Files.write(tmp.resolve("many.jsonl"), lines);
        Path outDir = Files.createDirectories(tmp.resolve("eval"));
        Path results = outDir.resolve("results.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Function<Integer, List<String>> eval = limit -> List.of("env", "--default-signal=TERM", java, "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "steerscope.cli.Main",
                "eval", "--model", model.toString(), "--data", data.toString(), "--out", results.toString(), "--template", "{question}",
                "--max-new-tokens", "12", "--samples", "4", "--batch", "8", "--limit", String.valueOf(limit));
        Path log = tmp.resolve("eval.log");
        Process first = start(eval.apply(8), log); // an earlier, short evaluation: the results an interrupt must keep
        assertTrue(first.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, first.exitValue(), () -> KillResumeTest.read(log));
        byte[] before = Files.readAllBytes(results), summaryBefore = Files.readAllBytes(outDir.resolve("results.summary.json"));

        Process q = start(eval.apply(400), log);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (q.isAlive() && !KillResumeTest.read(log).contains("eval 8/400") && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(q.isAlive(), () -> "the evaluation ended before the signal: " + KillResumeTest.read(log));
        q.destroy(); // SIGTERM
        assertTrue(q.waitFor(2, TimeUnit.MINUTES), "eval does not stop on SIGTERM");
        assertEquals(143, q.exitValue(), () -> KillResumeTest.read(log));
        assertTrue(KillResumeTest.read(log).contains("interrupted; the results are written only at the end, so " + results + " is unchanged"),
                () -> KillResumeTest.read(log));
        assertArrayEquals(before, Files.readAllBytes(results), "the earlier results were touched");
        assertArrayEquals(summaryBefore, Files.readAllBytes(outDir.resolve("results.summary.json")));
        try (Stream<Path> s = Files.list(outDir)) {
            assertEquals(List.of("results.jsonl", "results.summary.json"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private static List<Path> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".organism.tmp-")).toList();
        }
    }
}
