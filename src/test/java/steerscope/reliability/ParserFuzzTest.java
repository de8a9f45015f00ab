package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;

/**
 * Seeded mutation loops over config.json (with a real tiny checkpoint beside it), JSONL datasets and
 * steering-vector files: each input loads or gives a one-line UserError naming the file, within a time limit.
 */
class ParserFuzzTest {
    private static final Duration PER_INPUT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    @Test
    void configJson() throws Exception {
        Path dir = tmp.resolve("model");
        TinyPolicy tiny = new TinyPolicy(Files.createDirectories(dir), 3);
        HfModelExport.write(tiny.vectors().model, dir);
        Path config = dir.resolve("config.json");
        byte[] base = Files.readAllBytes(config);
        JsonNode tree = Json.read(config);
        try (Model m = Model.load(dir)) {
            assertEquals(tiny.model.config.hiddenSize(), m.config.hiddenSize()); // the unmutated checkpoint loads
        }
        FuzzCampaign bytes = new FuzzCampaign("config.json (bytes)", 1000);
        Mutator m = new Mutator(21);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(base, 0, how);
            Files.write(config, in);
            bytes.one(how.toString(), dir.toString(), in, PER_INPUT, () -> loadAndClose(dir));
        }
        FuzzCampaign structure = new FuzzCampaign("config.json (JSON)", 1500);
        while (structure.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = Json.write(m.mutateJson(tree, how)).getBytes(StandardCharsets.UTF_8);
            Files.write(config, in);
            structure.one(how.toString(), dir.toString(), in, PER_INPUT, () -> loadAndClose(dir));
        }
        FuzzCampaign.report(bytes, structure);
    }

    private static int loadAndClose(Path dir) {
        try (Model m = Model.load(dir)) {
            return m.config.nLayers();
        }
    }

    @Test
    void jsonlDataset() throws Exception {
        List<String> lines = List.of(
                "{\"id\": \"a1\", \"question\": \"What is 2+3?\", \"answer\": \"5\"}",
                "{\"id\": 7, \"problem\": \"Compute 6*7.\", \"solution\": \"6*7 = \\\\boxed{42}\", \"level\": 2}",
                "{\"prompt\": \"Natalia sold clips...\", \"answer\": \"She sold 48/2 = 24.\\n#### 1,234\"}",
                "",
                "{\"unique_id\": \"x/y\", \"question\": \"ünï 你好\", \"answer\": 3.5, \"tags\": [\"a\", {\"b\": null}]}");
        String text = String.join("\n", lines) + "\n";
        byte[] base = text.getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("data.jsonl");
        Files.write(file, base);
        assertEquals(4, Dataset.load(file).size());
        List<JsonNode> trees = new ArrayList<>();
        for (String l : lines) trees.add(l.isEmpty() ? null : Json.MAPPER.readTree(l));
        FuzzCampaign bytes = new FuzzCampaign("dataset JSONL (bytes)", 2000);
        Mutator m = new Mutator(31);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(base, 0, how);
            Files.write(file, in);
            bytes.one(how.toString(), "data.jsonl", in, PER_INPUT, () -> checkedLoad(file));
        }
        FuzzCampaign structure = new FuzzCampaign("dataset JSONL (JSON)", 2000);
        while (structure.more()) {
            StringBuilder how = new StringBuilder();
            StringBuilder out = new StringBuilder();
            int which = m.nextInt(trees.size());
            for (int i = 0; i < trees.size(); i++) {
                JsonNode t = trees.get(i);
                if (t == null) out.append('\n');
                else out.append(Json.write(i == which ? m.mutateJson(t, how.append("line ").append(i + 1).append(' ')) : t)).append('\n');
            }
            byte[] in = out.toString().getBytes(StandardCharsets.UTF_8);
            Files.write(file, in);
            structure.one(how.toString(), "data.jsonl", in, PER_INPUT, () -> checkedLoad(file));
        }
        FuzzCampaign.report(bytes, structure);
    }

    /** A loaded problem is usable: non-blank question and answer, unique ids. */
    private static int checkedLoad(Path file) {
        List<Problem> ps = Dataset.load(file);
        assertTrue(ps.stream().allMatch(p -> !p.question().isBlank() && !p.answer().isBlank()), "blank question or answer loaded");
        assertEquals(ps.size(), ps.stream().map(Problem::id).distinct().count(), "duplicate ids loaded");
        return ps.size();
    }

    @Test
    void vectorFiles() throws Exception {
        SteeringVectors v = new SteeringVectors(4, 8);
        for (int l : new int[] {0, 2, 3}) {
            float[] x = new float[8];
            for (int i = 0; i < 8; i++) x[i] = (l + 1) * 0.25f - i * 0.125f;
            v.set(l, x);
        }
        v.metadata().put("base_model", "/models/tiny");
        Path file = tmp.resolve("vectors.safetensors");
        VectorFiles.write(v, file);
        byte[] base = Files.readAllBytes(file);
        assertEquals(v.get(2)[3], VectorFiles.read(file).get(2)[3]);
        int headerLen = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode header = Json.MAPPER.readTree(new String(base, 8, headerLen, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(base, 8 + headerLen, base.length);
        FuzzCampaign bytes = new FuzzCampaign("vector file (bytes)", 2000);
        Mutator m = new Mutator(41);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(base, 8 + headerLen, how);
            Files.write(file, in);
            bytes.one(how.toString(), "vectors.safetensors", in, PER_INPUT, () -> checkedRead(file));
        }
        FuzzCampaign structure = new FuzzCampaign("vector file (header)", 2000);
        while (structure.more()) {
            StringBuilder how = new StringBuilder();
            byte[] h = Json.write(m.mutateJson(header, how)).getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(h.length).put(h).put(data);
            byte[] in = out.array();
            Files.write(file, in);
            structure.one(how.toString(), "vectors.safetensors", in, PER_INPUT, () -> checkedRead(file));
        }
        FuzzCampaign.report(bytes, structure);
    }

    /** A vector file that loads has vectors of its d_model on layers below its n_layers. */
    private static int checkedRead(Path file) {
        SteeringVectors v = VectorFiles.read(file);
        for (int l : v.layers()) assertEquals(v.dModel(), v.get(l).length);
        Map<String, String> meta = v.metadata();
        assertTrue(meta.keySet().stream().noneMatch(k -> k.equals("format") || k.equals("n_layers")));
        return v.nLayers();
    }
}
