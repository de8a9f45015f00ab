package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.Policy;
import steerscope.rl.RlConfig;
import steerscope.rl.RolloutStep;
import steerscope.rl.Trainer;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.rl.reward.Reward;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * A disk that fills up and an output directory that turns read-only in the middle of a run: a clear one-line
 * error, the last good checkpoint still there and whole, and once the disk is fixed a resume ends where an
 * undisturbed run ends. The full disk and the read-only directory are faults injected into the atomic writer
 * (the errors the kernel gives, without root or a tmpfs); a file where a directory should be is a real one.
 */
class OutputFailureTest {
    private static final Reward CORRECT = new CorrectnessReward();

    @TempDir
    Path tmp;

    private Model model;
    private Tokenizer tokenizer;
    private Prompts prompts;
    private List<Problem> problems;

    @BeforeEach
    void setUp() throws IOException {
        Path dir = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        model = Model.load(dir);
        tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        prompts = new Prompts(tokenizer, new PromptTemplate("{question}"), null);
        problems = Dataset.load(TinyRun.dataset(tmp.resolve("data.jsonl")));
    }

    @AfterEach
    void tearDown() {
        AtomicFiles.injectFault(null);
        model.close();
    }

    private static RlConfig config(String params) {
        return RlConfig.paper(RlConfig.Params.parse(params)).toBuilder().steps(5).group(4).promptsPerStep(2).maxNewTokens(3).checkpointEvery(1).seed(5L).lr(params.equals("full") ? 0.01 : 0.05).build();
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
            t.setStepFunction((items, seed, into) -> {
                if (++calls[0] == 3) beforeThirdStep.run();
                return rollout.gradient(policy, rollout.sample(policy, items, seed), null, into);
            });
        }
        return t;
    }

    /** From now on every atomic write under {@code dir} fails as {@code error} would on a real disk. */
    private static void failWritesUnder(Path dir, String error) {
        Path root = dir.toAbsolutePath();
        AtomicFiles.injectFault(target -> {
            if (target.toAbsolutePath().startsWith(root)) throw new FileSystemException(target.toString(), null, error);
        });
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
        // the kernel's reason may be reworded in lower case (io.IoErrors), so compare without case
        String m = e.getMessage().toLowerCase(Locale.ROOT);
        for (String part : parts) assertTrue(m.contains(part.toLowerCase(Locale.ROOT)), "should mention " + part + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aFullDiskFailsTheCheckpointCleanlyAndAResumeLosesNothing() throws Exception {
        Path run = tmp.resolve("run");
        // before the third step the disk fills: the metrics line still fits (it is appended), the checkpoint not
        Trainer t = trainer("full", run, () -> failWritesUnder(run.resolve("checkpoints"), "No space left on device"));
        UserError e = assertThrows(UserError.class, () -> t.run(false));
        System.out.println("disk full: " + e.getMessage());
        assertOneLine(e, "cannot write checkpoint step-000003", "No space left on device", "step-000002");
        assertEquals(2, lastGood(run));

        AtomicFiles.injectFault(null); // the user frees space and resumes
        trainer("full", run, null).run(true);
        trainer("full", tmp.resolve("undisturbed"), null).run(false);
        Map<String, float[]> a = TinyRun.tensors(tmp.resolve("undisturbed/model/model.safetensors")), b = TinyRun.tensors(run.resolve("model/model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String n : a.keySet()) assertArrayEquals(a.get(n), b.get(n), n);
    }

    @Test
    void aRunDirectoryThatTurnsReadOnlyStopsWithAClearErrorAndKeepsTheCheckpoint() throws Exception {
        Path disk = Files.createDirectories(tmp.resolve("disk"));
        Path run = disk.resolve("run");
        Trainer t = trainer("vectors", run, () -> failWritesUnder(disk, "Read-only file system"));
        UserError e = assertThrows(UserError.class, () -> t.run(false));
        System.out.println("read-only: " + e.getMessage());
        assertOneLine(e, run.toString(), "Read-only file system");
        assertEquals(2, lastGood(run));
        // a new run cannot even start there
        UserError fresh = assertThrows(UserError.class, () -> trainer("vectors", disk.resolve("other"), null).run(false));
        System.out.println("read-only, new run: " + fresh.getMessage());
        assertOneLine(fresh, "other");

        AtomicFiles.injectFault(null);
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
                throw new UncheckedIOException(ex);
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
