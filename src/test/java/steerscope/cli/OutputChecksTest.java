package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;

/**
 * The --out rule of every command that writes: a refused run creates nothing; a non-empty directory (or an
 * existing file) that is not the command's own earlier output is refused unless --overwrite is given.
 */
class OutputChecksTest {
    @TempDir
    static Path tmp;
    static Path model, data, vectors;

    @BeforeAll
    static void setUp() throws IOException {
        TinyPolicy tiny = new TinyPolicy(tmp, 5); // 256 positions
        model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
        List<String> lines = new ArrayList<>();
        for (int a = 1; a <= 4; a++) lines.add(Json.write(Map.of("question", "What is " + a + "+1?", "answer", String.valueOf(a + 1))));
        data = Files.write(tmp.resolve("data.jsonl"), lines);
        vectors = tmp.resolve("v.safetensors");
        VectorFiles.write(SteeringVectors.zeros(tiny.model.config.nLayers(), tiny.model.config.hiddenSize(), new int[] {1}), vectors);
    }

    private static String[] train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--steps", "1", "--group", "2", "--prompts-per-step", "2", "--max-new-tokens", "3", "--template", "{question}"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static void refused(CliTest.Run r, String... words) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String w : words) assertTrue(r.err().contains(w), "'" + w + "' in: " + r.err());
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void anOptionTheModelCannotHonourIsRefusedBeforeAnythingIsCreated() {
        Path out = tmp.resolve("never").resolve("run");
        // 512 new tokens, asked for, do not fit the model's 256 positions (a default would shrink to fit instead)
        List<String> args = new ArrayList<>(List.of(train(out)));
        args.set(args.indexOf("--max-new-tokens") + 1, "512");
        refused(CliTest.run(args.toArray(String[]::new)), "--max-new-tokens 512", "256 positions");
        refused(CliTest.run(train(out, "--layers", "0,7")), "--layers", "layer 7");
        refused(CliTest.run("eval", "--model", model.toString(), "--data", data.toString(), "--out", out.resolve("r.jsonl").toString(),
                "--max-new-tokens", "512"), "--max-new-tokens 512");
        refused(CliTest.run("analyze", "--model", model.toString(), "--vectors", vectors.toString(), "--data", data.toString(),
                "--out", out.toString(), "--max-new-tokens", "300"), "--max-new-tokens 300");
        assertFalse(Files.exists(tmp.resolve("never")), "a refused run created its --out");
        // a place that cannot be written is found before the evaluation, not after it (/proc takes no new files, even from root)
        CliTest.Run proc = CliTest.run("eval", "--model", model.toString(), "--data", data.toString(), "--out", "/proc/steerscope-test/r.jsonl",
                "--max-new-tokens", "3");
        refused(proc, "/proc", "cannot write the output here", "no such file or directory");
        assertFalse(proc.err().contains("eval "), "evaluated before finding out: " + proc.err());
    }

    @Test
    void aNonEmptyDirectoryOfOtherFilesIsRefusedByEveryCommand() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(dir.resolve("notes.txt"), "keep me");
        Path file = Files.writeString(tmp.resolve("notes.jsonl"), "keep me too");
        List<String> before = listing(dir);

        refused(CliTest.run(train(dir)), dir.toString(), "--overwrite");
        refused(CliTest.run(train(dir, "--resume")), dir.toString(), "--overwrite");
        refused(CliTest.run("eval", "--model", model.toString(), "--data", data.toString(), "--out", file.toString(), "--max-new-tokens", "3"),
                file.toString(), "--overwrite");
        refused(CliTest.run("analyze", "--model", model.toString(), "--vectors", vectors.toString(), "--data", data.toString(),
                "--out", dir.toString()), dir.toString(), "--overwrite");
        refused(CliTest.run("demo", "--out", dir.toString(), "--cache", tmp.resolve("cache").toString()), dir.toString(), "--overwrite");
        refused(CliTest.run("organism", "--out", dir.toString(), "--quick"), dir.toString(), "--overwrite");
        refused(CliTest.run("vectors", "export", vectors.toString(), "--format", "safetensors", "--out", file.toString()), file.toString(), "--overwrite");
        Path gguf = tmp.resolve("v.gguf");
        assertEquals(0, CliTest.run("vectors", "export", vectors.toString(), "--format", "gguf", "--out", gguf.toString()).code());
        refused(CliTest.run("vectors", "import", gguf.toString(), "--out", file.toString()), file.toString(), "--overwrite");

        assertEquals(before, listing(dir), "a refused run wrote into the directory");
        assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
        assertEquals("keep me too", Files.readString(file));
        assertFalse(Files.exists(tmp.resolve("cache")), "the refused demo made its cache");

        // with --overwrite, the run goes ahead next to the other files
        CliTest.Run ok = CliTest.run(train(dir, "--overwrite"));
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.isRegularFile(dir.resolve("vectors.safetensors")) && Files.isRegularFile(dir.resolve("notes.txt")));
        CliTest.Run exported = CliTest.run("vectors", "export", vectors.toString(), "--format", "safetensors", "--out", file.toString(), "--overwrite");
        assertEquals(0, exported.code(), exported.err());
        // and an earlier export is the command's own output: replaced without --overwrite
        exported = CliTest.run("vectors", "export", vectors.toString(), "--format", "safetensors", "--out", file.toString());
        assertEquals(0, exported.code(), exported.err());
    }

    @Test
    void aRunDirectoryIsContinuedOnlyWithItsOwnConfiguration() throws IOException {
        Path run = tmp.resolve("run");
        assertEquals(0, CliTest.run(train(run)).code());
        refused(CliTest.run(train(run, "--seed", "9")), "another configuration", "seed: 0 -> 9", "--overwrite");
        refused(CliTest.run(train(run, "--seed", "9", "--resume")), "another configuration");
        refused(CliTest.run(train(run)), "pass --resume");
        refused(CliTest.run(train(run, "--resume", "--overwrite")), "--resume", "--overwrite");
        assertEquals(0, CliTest.run(train(run, "--resume")).code());

        Files.writeString(run.resolve("notes.txt"), "keep me");
        CliTest.Run again = CliTest.run(train(run, "--seed", "9", "--overwrite"));
        assertEquals(0, again.code(), again.err());
        assertTrue(Files.readString(run.resolve("config.json")).contains("\"seed\" : 9") || Files.readString(run.resolve("config.json")).contains("\"seed\":9"),
                Files.readString(run.resolve("config.json")));
        assertEquals("keep me", Files.readString(run.resolve("notes.txt")));
    }
}
