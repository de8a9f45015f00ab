package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.HfModelExport;
import steerscope.model.SteeringVectors;
import steerscope.rl.TinyPolicy;
import steerscope.steer.DownProjBias;
import steerscope.steer.VectorFiles;

/**
 * The experiments end to end on a tiny model whose answer is one token, "7", and a vector built to write it: the
 * last layer's vector is the unembedding row of "7" scaled up, so it makes "7" likely and its gain is clearly
 * positive; the first layer's is a random direction.
 */
class ExperimentsTest {
    @TempDir
    static Path tmp;
    static Path model, twin, data, seven, zero, random0;

    @BeforeAll
    static void setUp() throws Exception {
        TinyPolicy tiny = new TinyPolicy(tmp, 5);
        model = tmp.resolve("model");
        HfModelExport.write(tiny.vectors().model, model);
        twin = tmp.resolve("twin"); // an identical model in another directory
        Files.createDirectories(twin);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, twin.resolve(f.getFileName()));
        }
        data = tmp.resolve("test.jsonl");
        String[] qs = {"Say something.", "Please answer now.", "What comes first?", "Reply with one letter.", "Say it.", "Answer now."};
        StringBuilder b = new StringBuilder();
        for (String q : qs) b.append(Json.write(Map.of("question", q, "answer", "7"))).append('\n');
        Files.writeString(data, b);
        int L = tiny.model.config.nLayers(), d = tiny.model.config.hiddenSize();
        SteeringVectors v = SteeringVectors.zeros(L, d, new int[] {L - 1});
        float[] row = new float[d];
        tiny.model.weights.lmHead.loadRow('7', row, 0); // byte-level: token id = the byte
        for (int i = 0; i < d; i++) v.get(L - 1)[i] = 40 * row[i];
        seven = tmp.resolve("seven.safetensors");
        VectorFiles.write(v, seven);
        zero = tmp.resolve("zero.safetensors");
        VectorFiles.write(SteeringVectors.zeros(L, d, new int[] {L - 1}), zero);
        SteeringVectors r = SteeringVectors.zeros(L, d, new int[] {0});
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < d; i++) r.get(0)[i] = (float) (rnd.nextDouble() - 0.5);
        random0 = tmp.resolve("random0.safetensors");
        VectorFiles.write(r, random0);
    }

    private static String[] args(String... a) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of("--data", data.toString(), "--samples", "8", "--max-new-tokens", "1"));
        return l.toArray(new String[0]);
    }

    @Test
    void transferBetweenIdenticalModelsKeepsAllOfTheGain() throws Exception {
        Path out = tmp.resolve("transfer-same");
        CliTest.Run r = CliTest.run(args("experiment", "transfer", "--from", model.toString(), "--to", twin.toString(), "--vectors", seven.toString(),
                "--to-vectors", seven.toString(), "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.read(out.resolve("transfer.json"));
        assertTrue(j.path("to").path("own_gain").path("ci").get(0).asDouble() > 0, "the vector's own gain is clearly positive: " + j);
        assertEquals(1.0, j.path("kept_fraction").path("value").asDouble(), 1e-12, j.toString());
        assertEquals(1.0, j.path("kept_fraction").path("ci").get(0).asDouble(), 1e-12);
        assertEquals(1.0, j.path("kept_fraction").path("ci").get(1).asDouble(), 1e-12);
        assertEquals(1.0, j.path("kept_fraction_reverse").path("value").asDouble(), 1e-12);
        assertEquals(j.path("from").path("own"), j.path("to").path("transferred"), "the same model and vector on the same sampling seeds");
        assertTrue(Files.readString(out.resolve("report.html")).contains("id=\"transfer\""));
    }

    @Test
    void aZeroVectorTransfersNothingAndARatioWithoutOwnGainIsNull() {
        Path out = tmp.resolve("transfer-zero");
        CliTest.Run r = CliTest.run(args("experiment", "transfer", "--from", model.toString(), "--to", twin.toString(), "--vectors", zero.toString(),
                "--to-vectors", seven.toString(), "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.read(out.resolve("transfer.json"));
        assertEquals(0.0, j.path("kept_fraction").path("value").asDouble(), 1e-12, j.toString());
        assertTrue(j.path("kept_fraction_reverse").isNull(), "the zero vector has no own gain on its model: " + j);
        assertTrue(j.path("kept_fraction_reverse_reason").asText().contains("not positive beyond its 95% interval"), j.toString());
    }

    @Test
    void shapeMismatchIsRefusedNamingBothFilesAndTheField() throws Exception {
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, other.resolve(f.getFileName()));
        }
        String cfg = Files.readString(other.resolve("config.json")).replaceFirst("\"num_hidden_layers\"\\s*:\\s*2", "\"num_hidden_layers\" : 3");
        Files.writeString(other.resolve("config.json"), cfg);
        Path out = tmp.resolve("transfer-bad");
        CliTest.Run r = CliTest.run(args("experiment", "transfer", "--from", model.toString(), "--to", other.toString(), "--vectors", seven.toString(),
                "--out", out.toString()));
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(model.resolve("config.json").toString()) && r.err().contains(other.resolve("config.json").toString())
                && r.err().contains("num_hidden_layers"), r.err());
        assertFalse(Files.exists(out.resolve("transfer.json")), "nothing written on bad input");
    }

    @Test
    void combineLayersMeasuresEveryPairAndResumesFromItsKeptConditions() throws Exception {
        Path out = tmp.resolve("combine");
        String[] cmd = args("experiment", "combine-layers", "--model", model.toString(), "--vectors", random0 + "," + seven, "--out", out.toString());
        CliTest.Run r = CliTest.run(cmd);
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.read(out.resolve("combine_layers.json"));
        assertEquals(2, j.path("singles").size());
        assertEquals(1, j.path("pairs").size());
        JsonNode pair = j.path("pairs").get(0);
        assertEquals(List.of(0, 1), List.of(pair.path("layers").get(0).asInt(), pair.path("layers").get(1).asInt()));
        float[] a = VectorFiles.read(random0).get(0), c = VectorFiles.read(seven).get(1);
        double dot = 0, na = 0, nc = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * c[i];
            na += (double) a[i] * a[i];
            nc += (double) c[i] * c[i];
        }
        assertEquals(dot / Math.sqrt(na * nc), pair.path("cosine").asDouble(), 1e-6);
        JsonNode acc = j.path("matrix").path("accuracy");
        assertEquals(acc.get(0).get(1), acc.get(1).get(0), "symmetric");
        assertEquals(pair.path("accuracy").path("accuracy").asDouble(), acc.get(0).get(1).asDouble(), 1e-12);
        assertEquals(j.path("singles").get(1).path("accuracy").path("accuracy").asDouble(), acc.get(1).get(1).asDouble(), 1e-12, "diagonal: the single vector");
        assertTrue(j.path("singles").get(1).path("gain_over_base").path("ci").get(0).asDouble() > 0, "the '7' vector's gain is clearly positive");
        assertTrue(j.path("correlation_minus_best").isNull(), "one pair has no correlation");
        // a rerun reads the kept conditions back: the same numbers
        String before = Files.readString(out.resolve("combine_layers.json")).replaceAll("\"seconds\" : [0-9.E-]+", "");
        assertEquals(0, CliTest.run(cmd).code());
        assertEquals(before, Files.readString(out.resolve("combine_layers.json")).replaceAll("\"seconds\" : [0-9.E-]+", ""));
        // a file holding vectors on two layers is not a single-layer vector
        Path both = tmp.resolve("both.safetensors");
        assertEquals(0, CliTest.run("vectors", "combine", random0.toString(), seven.toString(), "--out", both.toString()).code());
        CliTest.Run bad = CliTest.run(args("experiment", "combine-layers", "--model", model.toString(), "--vectors", both + "," + seven,
                "--out", tmp.resolve("combine-bad").toString()));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains(both.toString()) && bad.err().contains("one vector each"), bad.err());
    }

    /**
     * A "fine-tune" that is the base model with the vectors as mlp.down_proj biases (the paper's own form of them)
     * computes exactly what the steered base computes: KL(full || steered) is zero at every position, and at every
     * layer the fine-tune's residual difference is the vectors' (cosine 1; at layer 0 also the vector itself).
     */
    @Test
    void aFineTuneThatIsTheVectorsMatchesThemExactly() throws Exception {
        // the random vector on layer 0, and on layer 1 one that ends every completion at once (so each is a sequence ending with EOS)
        SteeringVectors v = VectorFiles.read(random0);
        int eos = Json.read(model.resolve("config.json")).path("eos_token_id").asInt();
        float[] row = new float[v.dModel()], last = new float[v.dModel()];
        try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) {
            float[] head = st.floats("lm_head.weight");
            System.arraycopy(head, eos * v.dModel(), row, 0, v.dModel());
        }
        for (int i = 0; i < row.length; i++) last[i] = 40 * row[i];
        v.set(1, last);
        Path both = tmp.resolve("both-cf.safetensors");
        VectorFiles.write(v, both);
        Path full = tmp.resolve("full");
        Files.createDirectories(full);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) if (!f.getFileName().toString().equals("model.safetensors")) Files.copy(f, full.resolve(f.getFileName()));
        }
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", "pt");
        try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) {
            for (var e : st.entries().values()) w.add(e.name(), e.shape(), st.floats(e.name()));
        }
        for (int l : v.layers()) w.add(DownProjBias.tensorName(l), new long[] {v.dModel()}, v.get(l));
        w.write(full.resolve("model.safetensors"));

        Path out = tmp.resolve("compare");
        CliTest.Run r = CliTest.run(args("experiment", "compare-finetune", "--model", model.toString(), "--full", full.toString(), "--vectors", both.toString(),
                "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.read(out.resolve("compare_finetune.json"));
        JsonNode kl = j.path("kl_full_vs_steered");
        assertTrue(kl.path("n_sequences").asInt() > 0, "sequences ending with EOS: " + kl.path("n_eos"));
        for (JsonNode p : kl.path("by_position")) assertEquals(0, p.path("kl").path("value").asDouble(), 1e-6, "KL(full || steered) at " + p);
        JsonNode fullVsBase = j.path("delta_p_full_vs_base").path("position_classes").path("pos0").path("kl").path("value");
        assertTrue(fullVsBase.asDouble() > 1e-3, "the fine-tune itself moves the distribution away from the base: " + fullVsBase);
        for (JsonNode l : j.path("layers")) {
            assertEquals(1, l.path("cosine_full_vectors_diff").path("value").asDouble(), 1e-4, "layer " + l.path("layer"));
        }
        assertEquals(1, j.path("layers").get(0).path("cosine_full_diff_vector").path("value").asDouble(), 1e-4, "layer 0: the difference is the vector");
        assertEquals(1.0, j.path("layers").get(1).path("top_overlap_full_vectors_diff").asDouble(), 1e-12);
        assertTrue(Files.readString(out.resolve("report.html")).contains("id=\"compare-finetune\""));

        // a fine-tune of another vocabulary is refused before loading, naming both files and the field
        Path other = tmp.resolve("other-vocab");
        Files.createDirectories(other);
        try (var files = Files.list(full)) {
            for (Path f : files.toList()) Files.copy(f, other.resolve(f.getFileName()));
        }
        Files.writeString(other.resolve("config.json"), Files.readString(other.resolve("config.json")).replaceFirst("\"vocab_size\"\\s*:\\s*\\d+", "\"vocab_size\" : 999"));
        CliTest.Run bad = CliTest.run(args("experiment", "compare-finetune", "--model", model.toString(), "--full", other.toString(), "--vectors", both.toString(),
                "--out", tmp.resolve("compare-bad").toString()));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("vocab_size") && bad.err().contains(other.resolve("config.json").toString()), bad.err());
    }
}
