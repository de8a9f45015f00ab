// The inputs of scripts/analyze-05b, written into a directory: a random-weight checkpoint with Qwen2.5-0.5B's shapes
// (bench.BenchModels) plus a Qwen tokenizer padded to the model's vocabulary (so that every id the random model
// samples decodes), 64 arithmetic problems, and vectors: random ones on the last two layers (--vectors) and a last-
// and a penultimate-layer vector along the end-of-sequence token's unembedding (--last-layer-vectors and
// --penultimate-vectors), strong enough that the steered model ends some completions at once, so that delta_p has
// EOS-ending completions to teacher-force.
// Run by scripts/analyze-05b: java -cp target/steerscope.jar scripts/Analyze05bSetup.java DIR QWEN_TOKENIZER_JSON
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import steerscope.bench.BenchModels;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.ModelConfig;
import steerscope.model.SteeringVectors;
import steerscope.steer.VectorFiles;

void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]), qwenTokenizer = Path.of(args[1]);
    Path model = BenchModels.ensure(dir.resolve("models"), BenchModels.QWEN_05B, 2);
    ModelConfig c = ModelConfig.load(model);
    int V = c.vocabSize(), d = c.hiddenSize(), L = c.nLayers(), eos = c.eosTokenIds()[0];

    ObjectNode tok = (ObjectNode) Json.read(qwenTokenizer);
    Set<Integer> ids = new HashSet<>();
    tok.path("model").path("vocab").forEach(n -> ids.add(n.asInt()));
    tok.path("added_tokens").forEach(n -> ids.add(n.path("id").asInt()));
    ArrayNode added = (ArrayNode) tok.get("added_tokens");
    for (int i = 0; i < V; i++)
        if (!ids.contains(i)) added.addObject().put("id", i).put("content", "<|extra_" + i + "|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
    Files.writeString(model.resolve("tokenizer.json"), Json.write(tok));

    SplittableRandom r = new SplittableRandom(3);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
        int a = r.nextInt(1, 10), b = r.nextInt(1, 10), e = r.nextInt(1, 10);
        lines.add(Json.write(Map.of("id", "p" + i, "question", "What is " + a + " + " + b + " - " + e + "?", "answer", String.valueOf(a + b - e))));
    }
    Files.write(dir.resolve("test.jsonl"), lines);

    float[] row;
    try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) { // tied: the unembedding is the embedding
        float[] all = st.floats("model.embed_tokens.weight");
        row = java.util.Arrays.copyOfRange(all, eos * d, (eos + 1) * d);
    }
    double norm = 0;
    for (float x : row) norm += x * x;
    norm = Math.sqrt(norm);
    for (int layer : new int[] {L - 1, L - 2}) {
        SteeringVectors v = SteeringVectors.zeros(L, d, new int[] {layer});
        for (int i = 0; i < d; i++) v.get(layer)[i] = (float) (16 * row[i] / norm);
        VectorFiles.write(v, dir.resolve(layer == L - 1 ? "last.safetensors" : "penultimate.safetensors"));
    }
    SteeringVectors both = SteeringVectors.zeros(L, d, new int[] {L - 2, L - 1});
    for (int l = L - 2; l < L; l++) for (int i = 0; i < d; i++) both.get(l)[i] = (float) (0.05 * r.nextGaussian());
    VectorFiles.write(both, dir.resolve("vectors.safetensors"));
    System.out.println(model);
}
