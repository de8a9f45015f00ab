package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.Model;
import steerscope.rl.Policy;
import steerscope.rl.Prompts;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.Trainer;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.rl.reward.Reward;
import steerscope.steer.SteeringVectors;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * A disk that fills up and an output directory that turns read-only in the middle of a run: a clear one-line
 * error, the last good checkpoint still there and whole, and once the disk is fixed a resume ends where an
 * undisturbed run ends. The full disk and the read-only directory are a small tmpfs (mounting needs root, as
 * the tests here run; elsewhere those tests are skipped); a file where a directory should be needs nothing.
 */
class OutputFailureTest {
    private static final Reward CORRECT = new CorrectnessReward();

    @TempDir
    Path tmp;

    private Model model;
    private Tokenizer tokenizer;
    private Prompts prompts;
    private List<Problem> problems;
    private Path mounted;

    @BeforeEach
    void setUp() throws IOException {
        Path dir = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        model = Model.load(dir);
        tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        prompts = new Prompts(tokenizer, new PromptTemplate("{question}"), null);
        problems = Dataset.load(TinyRun.dataset(tmp.resolve("data.jsonl")));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mounted != null) sh("umount", mounted.toString());
        model.close();
    }

    private static RlConfig config(String params) {
        return RlConfig.paper(params).with(Map.of("steps", 5, "group", 4, "promptsPerStep", 2, "maxNewTokens", 3,
                "checkpointEvery", 1, "seed", 5L, "lr", params.equals("full") ? 0.01 : 0.05));
    }

    private Policy policy(String params) {
        return params.equals("full")
                ? Policy.ofFullWeights(model, model.withWeights(model.weights.trainableCopy()), tokenizer, prompts)
                : Policy.ofVectors(model, SteeringVectors.zeros(model.config.nLayers(), model.config.hiddenSize(), null), tokenizer, prompts);
    }

    /** A trainer whose third step first runs {@code beforeThirdStep} (after checkpoints step-1 and step-2 are written). */
    private Trainer trainer(String params, Path run, Runnable beforeThirdStep) {
        RlConfig cfg = config(params);
        Policy policy = policy(params);
        Trainer t = new Trainer(cfg, policy, problems, CORRECT, CORRECT, run, Map.of());
        if (beforeThirdStep != null) {
            RolloutStep rollout = new RolloutStep(cfg, CORRECT, CORRECT); // what the trainer's own step function does
            int[] calls = {0};
            t.setStepFunction((items, seed) -> {
                if (++calls[0] == 3) beforeThirdStep.run();
                return rollout.gradient(policy, rollout.sample(policy, items, seed), null);
            });
        }
        return t;
    }

    private static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out.strip());
        return out;
    }

    /** A tmpfs of the given size at a new directory, or the test is skipped where mounting is not allowed. */
    private Path tmpfs(String size) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("disk"));
        try {
            sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        } catch (IOException e) {
            Assumptions.abort("cannot mount a tmpfs here (needs root): " + e.getMessage());
        }
        mounted = dir;
        return dir;
    }

    /** Checks checkpoints/latest names step-N and its files load; returns N. */
    private static int lastGood(Path run) throws IOException {
        Path dir = run.resolve("checkpoints");
        String name = Files.readString(dir.resolve("latest")).trim();
        try (SafeTensors p = SafeTensors.open(dir.resolve(name).resolve("params.safetensors"));
             SafeTensors o = SafeTensors.open(dir.resolve(name).resolve("optimizer.safetensors"))) {
            for (String t : p.entries().keySet()) p.floats(t);
            for (String t : o.entries().keySet()) o.floats(t);
        }
        int next = Json.read(dir.resolve(name).resolve("state.json")).get("next_step").asInt();
        assertEquals(name, String.format("step-%06d", next));
        try (var list = Files.list(dir)) {
            assertFalse(list.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "a temp file or directory was left behind");
        }
        return next;
    }

    private static void assertOneLine(UserError e, String... parts) {
        for (String part : parts) assertTrue(e.getMessage().contains(part), "should mention " + part + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    private static Map<String, float[]> tensors(Path file) {
        Map<String, float[]> out = new TreeMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String n : st.entries().keySet()) out.put(n, st.floats(n));
        }
        return out;
    }

    @Test
    void aFullDiskFailsTheCheckpointCleanlyAndAResumeLosesNothing() throws Exception {
        Path disk = tmpfs("4m");
        Path run = disk.resolve("run");
        Path filler = disk.resolve("filler");
        Trainer t = trainer("full", run, () -> {
            try { // fill the disk, then give back 64 kB: room for a metrics line, not for a checkpoint (~450 kB)
                try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                    byte[] chunk = new byte[16 << 10];
                    while (true) out.write(chunk);
                } catch (IOException full) {
                    // No space left on device: as intended
                }
                try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.WRITE)) {
                    ch.truncate(Math.max(0, ch.size() - (64 << 10)));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        UserError e = assertThrows(UserError.class, () -> t.run(false));
        System.out.println("disk full: " + e.getMessage());
        assertOneLine(e, "cannot write checkpoint step-000003", "step-000002");
        assertEquals(2, lastGood(run));

        Files.delete(filler); // the user frees space and resumes
        trainer("full", run, null).run(true);
        trainer("full", tmp.resolve("undisturbed"), null).run(false);
        Map<String, float[]> a = tensors(tmp.resolve("undisturbed/model/model.safetensors")), b = tensors(run.resolve("model/model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String n : a.keySet()) assertArrayEquals(a.get(n), b.get(n), n);
    }

    @Test
    void aRunDirectoryThatTurnsReadOnlyStopsWithAClearErrorAndKeepsTheCheckpoint() throws Exception {
        Path disk = tmpfs("4m");
        Path run = disk.resolve("run");
        Trainer t = trainer("vectors", run, () -> {
            try {
                sh("mount", "-o", "remount,ro", disk.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        UserError e = assertThrows(UserError.class, () -> t.run(false));
        System.out.println("read-only: " + e.getMessage());
        assertOneLine(e, run.toString());
        assertEquals(2, lastGood(run));
        // a new run cannot even start there
        UserError fresh = assertThrows(UserError.class, () -> trainer("vectors", disk.resolve("other"), null).run(false));
        System.out.println("read-only, new run: " + fresh.getMessage());
        assertOneLine(fresh, "other");

        sh("mount", "-o", "remount,rw", disk.toString());
        trainer("vectors", run, null).run(true);
        trainer("vectors", tmp.resolve("undisturbed"), null).run(false);
        SteeringVectors a = VectorFiles.read(tmp.resolve("undisturbed/vectors.safetensors")), b = VectorFiles.read(run.resolve("vectors.safetensors"));
        for (int l : a.layers()) assertArrayEquals(a.get(l), b.get(l), "layer " + l);
    }

    /** Needs no root: paths that cannot be directories because a regular file is in the way. */
    @Test
    void aFileWhereTheRunDirectoryOrCheckpointsShouldBeIsAClearError() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        UserError e = assertThrows(UserError.class, () -> trainer("vectors", file, null).run(false));
        assertOneLine(e, "not-a-dir");

        Path run = tmp.resolve("run");
        Trainer t = trainer("vectors", run, () -> {
            try { // the checkpoints directory is replaced by a file before the third checkpoint
                Path cp = run.resolve("checkpoints");
                Files.move(cp, run.resolve("moved-away"));
                Files.writeString(cp, "x");
            } catch (IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        UserError c = assertThrows(UserError.class, () -> t.run(false));
        System.out.println("file in the way: " + c.getMessage());
        assertOneLine(c, "checkpoints", "cannot write checkpoint step-000003");
        Files.delete(run.resolve("checkpoints"));
        Files.move(run.resolve("moved-away"), run.resolve("checkpoints"));
        assertEquals(2, lastGood(run));
    }
}
