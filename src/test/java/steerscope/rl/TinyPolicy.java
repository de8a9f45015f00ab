package steerscope.rl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import steerscope.model.Model;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.model.SteeringVectors;
import steerscope.model.Transformer;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;
import steerscope.tensor.Kernels;
import steerscope.tokenizer.BpeTrainer;
import steerscope.tokenizer.Tokenizer;

/** A tiny random Qwen2 model with a byte-level tokenizer: the test bed for RL with a known answer. */
public final class TinyPolicy {
    public final Model model;
    public final Tokenizer tokenizer;
    public final Prompts prompts;
    final List<Problem> problems = new ArrayList<>();

    public TinyPolicy(Path dir, long seed) {
        List<String> corpus = List.of("Say something.", "Please answer now.", "What comes first?", "Reply with one letter.");
        Path tj = dir.resolve("tokenizer.json");
        new BpeTrainer(270, List.of("<|endoftext|>"), seed).train(corpus).writeTokenizerJson(tj);
        tokenizer = Tokenizer.load(tj);
        int V = tokenizer.vocabSize(), d = 32, L = 2, H = 4, KV = 2, ff = 64;
        int eos = tokenizer.tokenId("<|endoftext|>").getAsInt();
        // untied, with an output head large enough that one vector can make a token near-certain
        ModelConfig c = new ModelConfig("Qwen2ForCausalLM", "qwen2", V, d, L, H, KV, d / H, ff, 1e-6f, 10000.0, null, 256,
                false, true, -1, new int[] {eos}, "float32");
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", normal(r, V * d, 0.5f));
        w.put("lm_head.weight", normal(r, V * d, 0.3f));
        w.put("model.norm.weight", ones(d));
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", ones(d));
            w.put(p + "post_attention_layernorm.weight", ones(d));
            w.put(p + "self_attn.q_proj.weight", normal(r, d * d, 0.1f));
            w.put(p + "self_attn.k_proj.weight", normal(r, d / 2 * d, 0.1f));
            w.put(p + "self_attn.v_proj.weight", normal(r, d / 2 * d, 0.1f));
            w.put(p + "self_attn.q_proj.bias", normal(r, d, 0.1f));
            w.put(p + "self_attn.k_proj.bias", normal(r, d / 2, 0.1f));
            w.put(p + "self_attn.v_proj.bias", normal(r, d / 2, 0.1f));
            w.put(p + "self_attn.o_proj.weight", normal(r, d * d, 0.1f));
            w.put(p + "mlp.gate_proj.weight", normal(r, ff * d, 0.1f));
            w.put(p + "mlp.up_proj.weight", normal(r, ff * d, 0.1f));
            w.put(p + "mlp.down_proj.weight", normal(r, d * ff, 0.1f));
        }
        model = new Model(dir, c, ModelWeights.fromArrays(c, w));
        prompts = new Prompts(tokenizer, new PromptTemplate("{question}"), null);
        for (int i = 0; i < corpus.size(); i++) problems.add(new Problem("p" + i, corpus.get(i), "A"));
        target = rareFirstCharacter(10);
    }

    /** The answer to learn: the printable ASCII character of the given rank among the base model's first tokens. */
    final String target;

    private String rareFirstCharacter(int rank) {
        double[] p = new double[model.config.vocabSize()];
        Transformer tf = model.transformer;
        for (Problem q : problems) {
            float[] logits = tf.nextTokenLogits(prompts.encode(q), null);
            Kernels.softmax(logits, 0, logits.length);
            for (int v = 0; v < p.length; v++) p[v] += logits[v] / problems.size();
        }
        List<Integer> ascii = new ArrayList<>();
        for (int b = 33; b < 127; b++) ascii.add(b); // byte-level ids 0..255 are the bytes themselves
        ascii.sort((a, b) -> Double.compare(p[b], p[a]));
        int id = ascii.get(rank);
        System.out.printf("target %s: base probability %.4f%n", (char) id, p[id]);
        return String.valueOf((char) id);
    }

    public Policy vectors() {
        return Policy.ofVectors(model, SteeringVectors.zeros(model.config.nLayers(), model.config.hiddenSize(), null), tokenizer, prompts);
    }

    Policy full() {
        return Policy.ofFullWeights(model, model.withWeights(model.weights.trainableCopy()), tokenizer, prompts);
    }

    private static float[] normal(SplittableRandom r, int n, float std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = r.nextDouble(), u2 = r.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }
}
