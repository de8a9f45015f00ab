package steerscope.organism;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import steerscope.io.AtomicFiles;
import steerscope.io.FileTrees;
import steerscope.io.IoErrors;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.GlobalTensor;
import steerscope.model.Gradients;
import steerscope.model.HfModelExport;
import steerscope.model.LayerTensor;
import steerscope.model.Model;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;
import steerscope.model.WeightedLogProbLoss;
import steerscope.rl.optim.AdamW;
import steerscope.rl.optim.GradClip;
import steerscope.rl.optim.LrSchedule;
import steerscope.task.synth.Corpus;
import steerscope.task.synth.PromptFormat;
import steerscope.task.synth.Writers;
import steerscope.tokenizer.BpeTrainer;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

/**
 * Pretrains the model organism from scratch and saves it as a Hugging Face Qwen2 checkpoint:
 * synthetic corpus (train split only) → byte-level BPE → seeded init → next-token pretraining with the
 * full-weight backward and AdamW → held-out measurement ({@link OrganismEval}) → {@code config.json},
 * {@code generation_config.json}, {@code model.safetensors} (F32), {@code tokenizer.json},
 * {@code tokenizer_config.json} (with a chat template) and {@code organism.json} (config + metrics).
 * The directory appears whole or not at all: everything is written into a temporary sibling first.
 */
public final class OrganismTrainer {
    public static final List<String> SPECIAL_TOKENS = List.of(PromptFormat.END_OF_TEXT, "<|im_start|>", "<|im_end|>");

    /**
     * The chat template: a user message renders as exactly {@code Question: {content}\nAnswer:} (with the
     * generation prompt), an assistant message as {@code Answer: {content}<|endoftext|>} on its own line.
     */
    public static final String CHAT_TEMPLATE =
            "{% for message in messages %}{% if message['role'] == 'user' %}Question: {{ message['content'] }}\n"
            + "{% elif message['role'] == 'assistant' %}Answer: {{ message['content'] }}{{ eos_token }}\n"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}Answer:{% endif %}";

    /** What training measured; written into organism.json next to the config. */
    public record TrainStats(long parameters, int vocabSize, long trainTokens, double firstLoss, double finalLoss,
                             double seconds, double tokensPerSecond) {}

    public record Result(Path dir, OrganismConfig config, TrainStats train, OrganismEval.Report eval) {}

    private OrganismTrainer() {}

    /** Trains the organism of {@code cfg} and saves it into {@code outDir} (replacing what is there). */
    public static Result train(OrganismConfig cfg, Path outDir, Consumer<String> progress) {
        return train(cfg, null, outDir, progress);
    }

    /**
     * With {@code parent} (an organism directory): a sibling of it, continued-pretrained from its weights with its
     * tokenizer on the corpus of {@code cfg} (e.g. another style mix), so it has the parent's shapes and token ids
     * and steering vectors move between the two. {@code cfg} must keep the parent's shape fields.
     */
    public static Result train(OrganismConfig cfg, Path parent, Path outDir, Consumer<String> progress) {
        Path out = outDir.toAbsolutePath();
        Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            FileTrees.delete(tmp);
            Interrupts.registerTemp(tmp); // a Ctrl-C during the minutes of training removes it
            Files.createDirectories(tmp);
            Result r = trainInto(cfg, parent, tmp, progress);
            Interrupts.critical(() -> {
                try {
                    replaceDir(tmp, out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new Result(out, r.config(), r.train(), r.eval());
        } catch (IOException | UncheckedIOException e) {
            throw UserError.inFile(out, "cannot write the organism: " + IoErrors.describe(e));
        } finally {
            Interrupts.unregisterTemp(tmp);
            try {
                FileTrees.delete(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private static Result trainInto(OrganismConfig cfg, Path parent, Path dir, Consumer<String> progress) {
        long t0 = System.nanoTime();
        // 1. corpus and tokenizer (a sibling keeps its parent's)
        Corpus corpus = new Corpus(cfg.task(), cfg.styles(), cfg.drillFraction(), cfg.writers());
        List<Corpus.Document> generated = corpus.generate(cfg.documents(), cfg.seed());
        List<String> texts = generated.stream().map(Corpus.Document::text).toList();
        Path tokFile = dir.resolve("tokenizer.json");
        if (parent == null) {
            new BpeTrainer(cfg.vocabSize(), SPECIAL_TOKENS, cfg.seed()).train(texts.subList(0, Math.min(cfg.tokenizerDocs(), texts.size())))
                    .writeTokenizerJson(tokFile);
        } else {
            try {
                Files.copy(parent.resolve("tokenizer.json"), tokFile);
            } catch (IOException e) {
                throw UserError.inFile(parent.resolve("tokenizer.json"), "cannot copy the parent's tokenizer: " + IoErrors.describe(e));
            }
        }
        Tokenizer tok = Tokenizer.load(tokFile);
        int eot = tok.tokenId(PromptFormat.END_OF_TEXT).orElseThrow();
        List<Doc> docs = new ArrayList<>(texts.size());
        int tooLong = 0;
        for (Corpus.Document d : generated) {
            int[] ids = tok.encode(d.text());
            int[] withEnd = Arrays.copyOf(ids, ids.length + 1);
            withEnd[ids.length] = eot;
            if (withEnd.length > cfg.seqLen()) { // rows never split a document; a rare long hasty one is left out
                tooLong++;
                continue;
            }
            // the prompt ends on a token boundary (see PromptFormat), so its own encoding is the document's prefix
            int promptLen = tok.encode(PromptFormat.prompt(d.problem())).length;
            float[] weights = new float[withEnd.length];
            for (int t = 0; t < weights.length; t++) weights[t] = t < promptLen ? (float) cfg.promptLossWeight() : 1f;
            docs.add(new Doc(withEnd, weights));
        }
        if (tooLong * 100 > generated.size()) {
            throw new UserError("organism config: " + tooLong + " of " + generated.size() + " documents are longer than seqLen "
                    + cfg.seqLen() + " tokens; raise seqLen or vocabSize");
        }
        progress.accept(String.format("organism: %d documents (%d longer than seqLen left out), tokenizer %s (%.1fs)", docs.size(), tooLong,
                tok.summary(), secondsSince(t0)));

        // 2. model
        ModelConfig mc = modelConfig(cfg, tok.vocabSize(), eot);
        Map<String, float[]> arrays = parent == null ? initWeights(mc, cfg.seed()) : parentWeights(parent, mc);
        ModelWeights weights = ModelWeights.fromArrays(mc, arrays);
        Transformer tf = new Transformer(mc, weights);
        Gradients grads = new Gradients(mc, true);
        List<AdamW.Param> params = new ArrayList<>();
        // the blocks' matrices decay; norms, biases and the (tied) embedding do not
        for (Gradients.Weight w : grads.weights()) params.add(new AdamW.Param(w.name(), arrays.get(w.name()), w.grad(), w.matrix() && !w.embedding()));
        List<float[]> gradArrays = params.stream().map(AdamW.Param::grad).toList();
        AdamW adam = new AdamW(params, 0.9, 0.95, 1e-8, cfg.weightDecay());
        LrSchedule schedule = schedule(cfg);
        progress.accept(String.format("organism: Qwen2 d=%d layers=%d heads=%d/%d ff=%d vocab=%d, %,d parameters",
                mc.hiddenSize(), mc.nLayers(), mc.nHeads(), mc.nKvHeads(), mc.intermediateSize(), mc.vocabSize(), mc.parameterCount()));

        // 3. pretraining
        Batches batches = new Batches(docs, cfg.seqLen(), cfg.batchSize(), eot, new SplittableRandom(cfg.seed() ^ 0x5eedL));
        long trainStart = System.nanoTime(), lastLog = trainStart, tokens = 0;
        double firstLoss = Double.NaN, recent = Double.NaN;
        for (int step = 0; step < cfg.steps(); step++) {
            Batches.Batch b = batches.next();
            grads.zero();
            Transformer.Forward f = tf.forward(b.tokens(), null, null, Transformer.Save.ALL);
            double loss = tf.backward(f, WeightedLogProbLoss.of(b.ids(), b.valid(), b.weights(), null, null, 0), grads, null);
            double norm = cfg.gradClip() > 0 ? GradClip.clipByGlobalNorm(gradArrays, cfg.gradClip()) : GradClip.globalNorm(gradArrays);
            if (!Double.isFinite(norm)) throw new IllegalStateException("organism: non-finite gradient at step " + step + " (loss " + loss + ")");
            adam.step(schedule.lr(step));
            tokens += b.realTokens();
            if (step < 10) firstLoss = step == 0 ? loss : firstLoss + (loss - firstLoss) / (step + 1);
            recent = Double.isNaN(recent) ? loss : 0.95 * recent + 0.05 * loss;
            long now = System.nanoTime();
            if (now - lastLog > 5e9 || step == cfg.steps() - 1) {
                double secs = (now - trainStart) / 1e9;
                progress.accept(String.format("organism: step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0fs",
                        step + 1, cfg.steps(), recent, schedule.lr(step), tokens / secs,
                        secs / (step + 1) * (cfg.steps() - step - 1)));
                lastLog = now;
            }
        }
        double trainSecs = secondsSince(trainStart);
        TrainStats stats = new TrainStats(mc.parameterCount(), mc.vocabSize(), tokens, firstLoss, recent, trainSecs, tokens / trainSecs);

        // 4. measure and save
        Model model = new Model(dir, mc, weights);
        OrganismEval.Report report = OrganismEval.evaluate(model, tok, cfg.task(), cfg.evalProblems(), cfg.evalSeed());
        progress.accept("organism: " + report.summary());
        save(dir, cfg, parent, mc, weights, stats, report, tok);
        progress.accept(String.format("organism: done in %.1fs", secondsSince(t0)));
        return new Result(dir, cfg, stats, report);
    }

    static ModelConfig modelConfig(OrganismConfig cfg, int vocabSize, int eot) {
        return new ModelConfig("Qwen2ForCausalLM", "qwen2", vocabSize, cfg.hiddenSize(), cfg.layers(), cfg.heads(),
                cfg.kvHeads(), cfg.hiddenSize() / cfg.heads(), cfg.intermediateSize(), 1e-6f, 10000.0, null,
                Math.max(512, cfg.seqLen()), true, true, eot, new int[] {eot}, "float32");
    }

    /** Linear warm-up, then cosine decay towards lr * minLrFraction (Hugging Face's cosine schedule). */
    static LrSchedule schedule(OrganismConfig cfg) {
        return LrSchedule.cosine(cfg.lr(), cfg.warmupSteps(), cfg.steps(), cfg.minLrFraction());
    }

    /** Weight decay goes on the block matrices; not on norms, biases or the (tied) embedding. */
    /**
     * GPT-2 style init: weights normal(0, 0.02), the projections that write into the residual stream (o_proj,
     * down_proj) scaled by 1/sqrt(2·layers), biases 0, norms 1. Drawn in checkpoint-name order from one seed.
     */
    static Map<String, float[]> initWeights(ModelConfig c, long seed) {
        Map<String, float[]> arrays = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(seed ^ 0x1417L);
        double residScale = 1 / Math.sqrt(2.0 * c.nLayers());
        arrays.put(GlobalTensor.EMBED.hfName, normal(rng, GlobalTensor.EMBED.size(c), 0.02));
        for (int l = 0; l < c.nLayers(); l++) {
            for (LayerTensor t : LayerTensor.values()) {
                if (!t.required(c)) continue;
                int n = t.size(c);
                float[] a = switch (t) {
                    case ATTN_NORM, MLP_NORM -> ones(n);
                    case Q_BIAS, K_BIAS, V_BIAS -> new float[n];
                    case O, DOWN -> normal(rng, n, 0.02 * residScale); // the projections into the residual stream, GPT-2 style
                    default -> normal(rng, n, 0.02);
                };
                arrays.put(t.name(l), a);
            }
        }
        arrays.put(GlobalTensor.FINAL_NORM.hfName, ones(GlobalTensor.FINAL_NORM.size(c)));
        return arrays;
    }

    /** The parent organism's weights, in checkpoint-name order, checked against the sibling's model config. */
    private static Map<String, float[]> parentWeights(Path parent, ModelConfig mc) {
        ModelConfig pc = ModelConfig.load(parent);
        if (pc.nLayers() != mc.nLayers() || pc.hiddenSize() != mc.hiddenSize() || pc.vocabSize() != mc.vocabSize()
                || pc.intermediateSize() != mc.intermediateSize() || pc.nHeads() != mc.nHeads() || pc.nKvHeads() != mc.nKvHeads()) {
            throw UserError.inFile(parent.resolve("config.json"), "the parent's shape differs from the sibling's config (a sibling keeps "
                    + "hiddenSize, layers, heads, kvHeads, intermediateSize and the tokenizer)");
        }
        Map<String, float[]> arrays = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(parent.resolve("model.safetensors"))) {
            for (String name : initWeights(mc, 0).keySet()) {
                if (!st.entries().containsKey(name)) throw UserError.inFile(parent.resolve("model.safetensors"), "no tensor " + name);
                arrays.put(name, st.floats(name));
            }
        }
        return arrays;
    }

    /**
     * The config of a sibling of {@code parent}: the parent's own (its organism.json) with {@code overrides}
     * applied; the shape fields may not change.
     */
    public static OrganismConfig siblingConfig(Path parent, List<String> overrides) {
        Path f = parent.resolve("organism.json");
        if (!Files.isRegularFile(f)) throw UserError.inFile(parent, "not an organism directory: no organism.json");
        JsonNode cfg = Json.read(f).path("config");
        if (!cfg.isObject()) throw UserError.inFile(f, "field 'config' must be an object (an organism configuration)");
        OrganismConfig p = OrganismConfig.fromJson(cfg.toString()), c = p.with(overrides);
        for (String field : List.of("vocabSize", "hiddenSize", "layers", "heads", "kvHeads", "intermediateSize")) {
            if (!Json.MAPPER.valueToTree(p).path(field).equals(Json.MAPPER.valueToTree(c).path(field))) {
                throw new UserError("organism --from: '" + field + "' cannot change (a sibling keeps the parent's shapes and tokenizer)");
            }
        }
        return c;
    }

    private static float[] normal(SplittableRandom rng, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i += 2) { // Box-Muller, two values per draw
            double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble();
            double r = Math.sqrt(-2 * StrictMath.log(u1)) * std;
            a[i] = (float) (r * StrictMath.cos(2 * Math.PI * u2));
            if (i + 1 < n) a[i + 1] = (float) (r * StrictMath.sin(2 * Math.PI * u2));
        }
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    // ------------------------------------------------------------------------------------------------ batches

    /**
     * Packs whole documents (each ending in end-of-text) into rows of seqLen tokens, padding the rest of a
     * row; the documents are visited in a fresh seeded order each epoch. A row's later documents see the
     * earlier ones, as in ordinary packed pretraining; a row always starts at a document start.
     */
    /** A tokenized document (ending in end-of-text) and the loss weight of predicting each of its tokens. */
    record Doc(int[] ids, float[] weights) {}

    static final class Batches {
        /** weights[b][t]: weight of predicting token t, normalised to sum to 1 over the scored tokens. */
        record Batch(int[][] ids, boolean[][] valid, float[][] weights, int realTokens) {
            /** The rows as one batch (pretraining text: no prompt, no vectors). */
            TokenBatch tokens() {
                int B = ids.length, T = ids[0].length;
                int[] flat = new int[B * T];
                boolean[] flatValid = new boolean[B * T];
                for (int b = 0; b < B; b++) {
                    System.arraycopy(ids[b], 0, flat, b * T, T);
                    System.arraycopy(valid[b], 0, flatValid, b * T, T);
                }
                return TokenBatch.of(B, T, flat, flatValid, new int[B]);
            }
        }

        private final List<Doc> docs;
        private final int seqLen, batchSize, pad;
        private final SplittableRandom rng;
        private int[] order;
        private int next;

        Batches(List<Doc> docs, int seqLen, int batchSize, int pad, SplittableRandom rng) {
            this.docs = docs;
            this.seqLen = seqLen;
            this.batchSize = batchSize;
            this.pad = pad;
            this.rng = rng;
            reshuffle();
        }

        private void reshuffle() {
            order = new int[docs.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            next = 0;
        }

        Batch next() {
            int[][] ids = new int[batchSize][seqLen];
            boolean[][] valid = new boolean[batchSize][seqLen];
            float[][] weights = new float[batchSize][seqLen];
            int real = 0;
            double total = 0;
            for (int b = 0; b < batchSize; b++) {
                Arrays.fill(ids[b], pad);
                int t = 0;
                while (true) {
                    if (next == order.length) reshuffle();
                    Doc doc = docs.get(order[next]);
                    int n = doc.ids().length;
                    if (t + n > seqLen) break;
                    System.arraycopy(doc.ids(), 0, ids[b], t, n);
                    System.arraycopy(doc.weights(), 0, weights[b], t, n);
                    Arrays.fill(valid[b], t, t + n, true);
                    t += n;
                    next++;
                }
                weights[b][0] = 0; // the first token of a row has nothing before it to predict it from
                for (int i = 0; i < t; i++) total += weights[b][i];
                real += t;
            }
            float inv = (float) (1 / total);
            for (float[] row : weights) for (int i = 0; i < row.length; i++) row[i] *= inv;
            return new Batch(ids, valid, weights, real);
        }
    }

    // --------------------------------------------------------------------------------------------------- save

    private static void save(Path dir, OrganismConfig cfg, Path parent, ModelConfig mc, ModelWeights weights,
                             TrainStats stats, OrganismEval.Report report, Tokenizer tok) {
        AtomicFiles.writeString(dir.resolve("config.json"), Json.writePretty(mc.toJson()));
        Map<String, Object> gen = new LinkedHashMap<>();
        gen.put("bos_token_id", mc.bosTokenId());
        gen.put("eos_token_id", mc.eosTokenIds()[0]);
        gen.put("do_sample", false);
        AtomicFiles.writeString(dir.resolve("generation_config.json"), Json.writePretty(gen));

        weights.writeSafetensors(dir.resolve("model.safetensors"));

        Map<String, Object> tc = new LinkedHashMap<>();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        tc.put("bos_token", PromptFormat.END_OF_TEXT);
        tc.put("eos_token", PromptFormat.END_OF_TEXT);
        tc.put("pad_token", PromptFormat.END_OF_TEXT);
        tc.put("unk_token", null);
        tc.put("add_bos_token", false);
        tc.put("model_max_length", mc.maxPositionEmbeddings());
        tc.put("clean_up_tokenization_spaces", false);
        tc.put("chat_template", CHAT_TEMPLATE);
        AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), Json.writePretty(tc));

        // what the plain commands (eval, generate, train, analyze) use for this model unless told otherwise
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("prompt_template", "{question}");
        defaults.put("max_new_tokens", OrganismEval.MAX_NEW_TOKENS);
        AtomicFiles.writeString(dir.resolve(HfModelExport.MODEL_DEFAULTS_FILE), Json.writePretty(defaults));

        // the filler language's tokens: what "middle layers de-emphasise non-English tokens" is measured on
        List<Integer> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int id = 0; id < tok.vocabSize(); id++) {
            String text = tok.decode(new int[] {id}, false);
            if (!tok.isSpecial(id) && Writers.isFiller(text)) {
                ids.add(id);
                texts.add(text);
            }
        }
        Map<String, Object> distractors = new LinkedHashMap<>();
        distractors.put("description", "tokens of the organism's made-up filler language (every token holding a non-ASCII byte)");
        distractors.put("ids", ids);
        distractors.put("tokens", texts);
        AtomicFiles.writeString(dir.resolve(HfModelExport.DISTRACTOR_TOKENS_FILE), Json.writePretty(distractors));

        Map<String, Object> org = new LinkedHashMap<>();
        org.put("key", cfg.key());
        org.put("generator_version", OrganismConfig.GENERATOR_VERSION);
        org.put("config", cfg);
        if (parent != null) { // a sibling: continued-pretrained from this organism
            org.put("parent", Map.of("dir", parent.toAbsolutePath().normalize().toString(), "key", Json.read(parent.resolve("organism.json")).path("key").asText()));
        }
        org.put("train", stats);
        org.put("eval", report);
        AtomicFiles.writeString(dir.resolve("organism.json"), Json.writePretty(org));
    }

    // ------------------------------------------------------------------------------------------------- files

    /** Moves tmp into place as out: an existing out is moved aside first and deleted after. */
    private static void replaceDir(Path tmp, Path out) throws IOException {
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling("." + out.getFileName() + ".old-" + ProcessHandle.current().pid());
            FileTrees.delete(old);
            Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) FileTrees.delete(old);
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
