package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.HubCache;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.rl.TinyPolicy;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.util.UserError;

/**
 * Parquet datasets as the Hub serves them, written by an independent implementation (arrow-rs through npm's
 * parquet-wasm, tools/node/parquet-write.mjs) with snappy, zstd and gzip pages, read through DuckDB: GSM8K's layout
 * in a Hub cache (two configurations, a split in two shards), MATH-500's columns, renamed columns, and bad files.
 */
class ParquetDataTest {
    static final String HASH = "1111111111111111111111111111111111111111";

    @TempDir
    static Path tmp;
    static Path hub, snapshot, math, odd, noQuestion, corrupt;

    @BeforeAll
    static void files() throws Exception {
        hub = tmp.resolve("hub");
        Path repo = hub.resolve("datasets--openai--gsm8k");
        snapshot = repo.resolve("snapshots").resolve(HASH);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), HASH);
        for (String d : List.of("main", "socratic")) Files.createDirectories(snapshot.resolve(d));
        math = tmp.resolve("math500.parquet");
        odd = tmp.resolve("odd.parquet");
        noQuestion = tmp.resolve("noq.parquet");
        List<Map<String, Object>> files = new ArrayList<>();
        files.add(file(snapshot.resolve("main/test-00000-of-00001.parquet"), "snappy",
                col("question", "utf8", "Natalia sold 48 clips. How many?", "Weng earns $12 an hour. How much for 50 minutes?"),
                col("answer", "utf8", "48 + 24 = 72\n#### 72", "12/60*50 = 10\n#### 1,010")));
        files.add(file(snapshot.resolve("socratic/test-00000-of-00001.parquet"), "snappy",
                col("question", "utf8", "Q?"), col("answer", "utf8", "#### 1")));
        files.add(file(snapshot.resolve("main/train-00000-of-00002.parquet"), "zstd",
                col("question", "utf8", "t1?", "t2?"), col("answer", "utf8", "#### 1", "#### 2")));
        files.add(file(snapshot.resolve("main/train-00001-of-00002.parquet"), "zstd",
                col("question", "utf8", "t3 ✓ é 数?"), col("answer", "utf8", "#### 3")));
        files.add(file(math, "gzip",
                col("problem", "utf8", "Compute $\\sqrt{16}$.", "What is $\\frac{1}{2}+\\frac{1}{2}$?"),
                col("solution", "utf8", "It is $\\boxed{4}$.", "Sum is $\\boxed{1}$."),
                col("answer", "utf8", "4", "1"), col("subject", "utf8", "Algebra", "Prealgebra"), col("level", "int64", 1, 2),
                col("unique_id", "utf8", "test/algebra/1.json", "test/prealgebra/2.json")));
        files.add(file(odd, "none", col("prompt_text", "utf8", "How much is 2.5 doubled?"), col("final", "float64", 5.0),
                col("worked", "utf8", "Double it: \\boxed{5}")));
        files.add(file(noQuestion, "snappy", col("text", "utf8", "no question here"), col("answer", "utf8", "1")));
        Path spec = tmp.resolve("spec.json");
        Files.writeString(spec, Json.write(Map.of("files", files)));
        node(spec);
        corrupt = tmp.resolve("corrupt.parquet");
        byte[] good = Files.readAllBytes(math);
        Files.write(corrupt, Arrays.copyOf(good, good.length / 2)); // starts with PAR1, footer gone
    }

    static Map<String, Object> col(String name, String type, Object... values) {
        return Map.of("name", name, "type", type, "values", List.of(values));
    }

    @SafeVarargs
    static Map<String, Object> file(Path path, String compression, Map<String, Object>... cols) {
        Map<String, Object> c = new LinkedHashMap<>();
        for (Map<String, Object> col : cols) c.put((String) col.get("name"), Map.of("type", col.get("type"), "values", col.get("values")));
        return Map.of("path", path.toString(), "compression", compression, "columns", c);
    }

    static void node(Path spec) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        if (!Files.exists(root.resolve("tools/node/node_modules/parquet-wasm/package.json"))) {
            fail("npm package parquet-wasm is not installed in tools/node: run scripts/setup-test-deps");
        }
        Process p = new ProcessBuilder("node", "parquet-write.mjs", spec.toString()).directory(root.resolve("tools/node").toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node parquet-write.mjs hangs");
        assertEquals(0, p.exitValue(), "node parquet-write.mjs failed: " + out);
    }

    static DataOptions data(String data, String split, String q, String a) {
        DataOptions d = new DataOptions();
        d.data = data;
        d.split = split;
        d.fieldQuestion = q;
        d.fieldAnswer = a;
        return d;
    }

    @Test
    void hubDatasetIdsAndSplits() {
        HubCache cache = new HubCache(hub);
        // two configurations have a test split: ambiguous, and the message says which directory to pass
        UserError e = assertThrows(UserError.class, () -> data("openai/gsm8k", null, null, null).load("test", cache));
        assertTrue(e.getMessage().contains("[main, socratic]") && e.getMessage().contains(snapshot.resolve("main").toString()), e.getMessage());
        List<Problem> test = data(snapshot.resolve("main").toString(), null, null, null).load("test", cache);
        assertEquals(List.of("72", "1010"), test.stream().map(Problem::answer).toList());
        assertEquals("Natalia sold 48 clips. How many?", test.get(0).question());
        List<Problem> train = data(snapshot.resolve("main").toString(), "train", null, null).load("test", cache);
        assertEquals(List.of("t1?", "t2?", "t3 ✓ é 数?"), train.stream().map(Problem::question).toList(), "two zstd shards, in order");
        assertEquals(List.of("1", "2", "3"), train.stream().map(Problem::id).toList());
        UserError none = assertThrows(UserError.class, () -> data(snapshot.resolve("main").toString(), "validation", null, null).load("test", cache));
        assertTrue(none.getMessage().contains("no .parquet or .jsonl files for split 'validation'"), none.getMessage());
        UserError missing = assertThrows(UserError.class, () -> data("openai/gsm9k", null, null, null).load("test", cache));
        assertTrue(missing.getMessage().endsWith("huggingface-cli download openai/gsm9k --repo-type dataset"), missing.getMessage());
    }

    @Test
    void mathColumnsAndRenamedColumns() {
        List<Problem> ps = Dataset.load(math);
        assertEquals("Compute $\\sqrt{16}$.", ps.get(0).question());
        assertEquals("4", ps.get(0).answer());
        assertEquals("test/prealgebra/2.json", ps.get(1).id());
        assertEquals("Prealgebra", ps.get(1).extra().get("subject").asText());
        assertEquals(2, ps.get(1).extra().get("level").asInt());

        List<Problem> odd1 = Dataset.load(odd, new Dataset.Fields("prompt_text", "final"));
        assertEquals("How much is 2.5 doubled?", odd1.get(0).question());
        assertEquals("5.0", odd1.get(0).answer());
        assertEquals("5", Dataset.load(odd, new Dataset.Fields("prompt_text", "worked")).get(0).answer(), "a worked solution's last \\boxed{}");
    }

    @Test
    void badFilesAreOneLineNamingFileAndColumn() {
        UserError e = assertThrows(UserError.class, () -> Dataset.load(noQuestion));
        assertTrue(e.getMessage().contains(noQuestion.toString()) && e.getMessage().contains("row 1: no question field"), e.getMessage());
        e = assertThrows(UserError.class, () -> Dataset.load(odd, new Dataset.Fields("prompt", "final")));
        assertTrue(e.getMessage().contains("no field \"prompt\" (named by --field-question)"), e.getMessage());
        e = assertThrows(UserError.class, () -> Dataset.load(corrupt));
        assertTrue(e.getMessage().contains(corrupt.toString()) && e.getMessage().contains("not a readable Parquet file"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void evalReadsParquetThroughTheCli() throws Exception {
        TinyPolicy tiny = new TinyPolicy(tmp, 5);
        Path model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
        Path out = tmp.resolve("eval.jsonl");
        CliTest.Run r = CliTest.run("eval", "--model", model.toString(), "--data", odd.toString(), "--field-question", "prompt_text",
                "--field-answer", "final", "--max-new-tokens", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out).contains("How much is 2.5 doubled?"));
        CliTest.Run bad = CliTest.run("eval", "--model", model.toString(), "--data", odd.toString(), "--split", "test", "--out", out.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--split applies to a dataset directory or Hub ID"), bad.err());
    }
}
