package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import steerscope.cli.Main;
import steerscope.io.AtomicFiles;
import steerscope.io.SafeTensors;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;

/**
 * A {@code train} process that dies (as under kill -9: no finally block, no cleanup) in the middle of writing its
 * final vectors or model, then {@code --resume}: the result is whole and equals the last checkpoint's parameters,
 * and no step is run again.
 */
class FinalSaveKillTest {
    private static final int STEPS = 3;

    @TempDir
    Path tmp;

    /** {@code train}, halted just before writing the file whose path ends with args[0]: the state a kill -9 leaves. */
    public static final class HaltingMain {
        public static void main(String[] args) {
            Path at = Path.of(args[0]);
            AtomicFiles.injectFault(target -> {
                if (target.endsWith(at) && !target.toString().contains("checkpoints")) Runtime.getRuntime().halt(137);
            });
            System.exit(Main.run(Arrays.copyOfRange(args, 1, args.length)));
        }
    }

    private static List<String> train(Path model, Path data, Path out, String params) {
        return List.of("train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(), "--params", params,
                "--steps", String.valueOf(STEPS), "--group", "4", "--prompts-per-step", "2", "--max-new-tokens", "3",
                "--checkpoint-every", "100", "--seed", "5", "--template", "{question}", "--lr", "0.05", "--answer-fallback", "--resume");
    }

    @ParameterizedTest(name = "{0}, killed writing {1}")
    @CsvSource({"vectors, vectors.safetensors", "full, .model.tmp/model.safetensors", "full, .model.tmp/tokenizer.json"})
    void killedDuringTheFinalSaveThenResumedGivesTheWholeResult(String params, String haltAt) throws Exception {
        Path model = TinyRun.checkpoint(Files.createDirectories(tmp.resolve("model")), 4);
        Path data = TinyRun.dataset(tmp.resolve("data.jsonl"));
        Path run = tmp.resolve("run");
        List<String> cmd = new ArrayList<>(TinyRun.javaCommand(HaltingMain.class));
        cmd.add(haltAt);
        cmd.addAll(train(model, data, run, params));
        Path log = tmp.resolve("halted.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the halting run hangs");
        assertEquals(137, p.exitValue(), () -> "the run should have been halted at " + haltAt + ": " + TinyRun.read(log));
        Path checkpoint = run.resolve(String.format("checkpoints/step-%06d", STEPS));
        assertTrue(Files.isRegularFile(checkpoint.resolve("params.safetensors")), "the last step's checkpoint was written before the final save");
        assertFalse(Files.exists(run.resolve(params.equals("full") ? "model" : "vectors.safetensors")), "no final output yet");

        assertEquals(0, Main.run(train(model, data, run, params).toArray(String[]::new)));
        assertEquals(STEPS, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "the resume ran no step again");
        Map<String, float[]> expected = TinyRun.tensors(checkpoint.resolve("params.safetensors"));
        if (params.equals("vectors")) {
            SteeringVectors v = VectorFiles.read(run.resolve("vectors.safetensors"));
            assertEquals(expected.keySet().size(), v.layers().length);
            for (int l : v.layers()) assertArrayEquals(expected.get("layers." + l), v.get(l), "layer " + l);
        } else {
            Path out = run.resolve("model");
            assertFalse(Files.exists(run.resolve(".model.tmp")), "the temp directory was renamed into place");
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) assertTrue(Files.isRegularFile(out.resolve(f)), f);
            Map<String, float[]> saved = TinyRun.tensors(out.resolve("model.safetensors"));
            for (var e : expected.entrySet()) assertArrayEquals(e.getValue(), saved.get(e.getKey()), e.getKey());
            Model.load(out).close();
        }
    }
}
