package steerscope.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.rl.reward.Reward;
import steerscope.task.Problem;
import steerscope.tensor.Parallel;

/**
 * The promise of docs/reproducibility.md that the thread count is not an input: a few RL steps (rollouts, forward,
 * backward, clipping, AdamW) give the same bits on 1, 2 and 3 threads, and when every loop runs inline because the
 * pool is busy (a run started from inside a parallel loop, as a second Spark task thread would see it).
 */
class ThreadCountReproducibilityTest {
    private final int before = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(before);
    }

    @Test
    void vectorRunsGiveTheSameBitsOnAnyThreadCountAndOnABusyPool(@TempDir Path dir) {
        String one = run(dir, "vectors", 1, false), two = run(dir, "vectors", 2, false);
        assertEquals(one, two, "1 vs 2 threads");
        assertEquals(one, run(dir, "vectors", 3, false), "1 vs 3 threads");
        assertEquals(one, run(dir, "vectors", 2, true), "1 thread vs a busy pool of 2");
    }

    @Test
    void fullFineTuneRunsGiveTheSameBitsOnAnyThreadCount(@TempDir Path dir) {
        String one = run(dir, "full", 1, false);
        assertEquals(one, run(dir, "full", 3, false), "1 vs 3 threads");
        assertEquals(one, run(dir, "full", 2, true), "1 thread vs a busy pool of 2");
    }

    /** The check can fail: a different seed gives a different fingerprint. */
    @Test
    void theFingerprintSeesADifferentSeed(@TempDir Path dir) {
        assertNotEquals(run(dir, "vectors", 2, false, 7), run(dir, "vectors", 2, false, 8));
    }

    /** A reward that differs between completions (a hash of the text), so every step has nonzero advantages. */
    private static final Reward VARIED = new Reward() {
        @Override
        public String name() {
            return "varied";
        }

        @Override
        public double score(Problem p, String completion) {
            return Math.floorMod(completion.hashCode(), 5) / 4.0;
        }
    };

    private static String run(Path dir, String params, int threads, boolean busy) {
        return run(dir, params, threads, busy, 7);
    }

    /** Trains 3 steps and returns the metrics (without wall-clock fields) and the saved weights' bytes, as hex. */
    private static String run(Path dir, String params, int threads, boolean busy, long seed) {
        Parallel.setThreads(threads);
        Path out = dir.resolve(params + "-" + threads + (busy ? "-busy" : "") + "-" + seed);
        String[] result = new String[1];
        Runnable train = () -> {
            TinyPolicy tiny = new TinyPolicy(out, 1);
            Reward r = VARIED;
            RlConfig cfg = RlConfig.paper(RlConfig.Params.parse(params)).toBuilder().group(4).promptsPerStep(4).steps(3).lr(params.equals("vectors") ? 0.05 : 0.01).maxNewTokens(6).checkpointEvery(3).seed(seed).build();
            Policy policy = params.equals("vectors") ? tiny.vectors() : tiny.full();
            new Trainer(cfg, policy, tiny.problems, r, r, out.resolve("run"), Map.of()).run(false);
            Path weights = out.resolve(params.equals("vectors") ? "run/vectors.safetensors" : "run/model/model.safetensors");
            List<String> m = lines(out.resolve("run/metrics.jsonl"));
            // rewards that vary within a group, or the advantages are 0 and nothing trains: the check would be empty
            assertTrue(m.stream().anyMatch(l -> !l.contains("\"advantage_abs_mean\":0.0,")), "no step had varied rewards");
            result[0] = metrics(out.resolve("run/metrics.jsonl")) + "\n" + HexFormat.of().formatHex(bytes(weights));
        };
        if (busy) {
            // index 0 trains while the pool is taken by this loop: every loop inside it runs on its calling thread
            Parallel.forEach(2, i -> {
                if (i == 0) train.run();
            });
        } else {
            train.run();
        }
        return result[0];
    }

    private static String metrics(Path p) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines(p)) {
            sb.append(TrainerTest.strip(line)).append('\n');
        }
        return sb.toString();
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
