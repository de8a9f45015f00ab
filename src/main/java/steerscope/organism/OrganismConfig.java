package steerscope.organism;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import steerscope.io.Json;
import steerscope.task.synth.ArithmeticGenerator;
import steerscope.task.synth.Corpus;
import steerscope.task.synth.Writers;
import steerscope.util.UserError;

/**
 * Everything that decides the model organism: the synthetic world, the tokenizer, the model's shape and the
 * pretraining schedule. Same config, same organism (bit for bit on the same machine and thread count aside
 * from floating-point summation order across threads). Serialised as-is into {@code organism.json}.
 *
 * @param seed            seeds the corpus, the tokenizer's tie-breaks, the init and the batch order
 * @param task            the arithmetic world (operand range, depths, held-out fraction)
 * @param styles          how often each answer style appears in the corpus (a careful writer only uses the step styles)
 * @param writers         careful and hasty writers and the hasty one's habits (merged steps, early answers, filler)
 * @param drillFraction   share of single-operation documents (they teach the facts)
 * @param promptLossWeight weight of the question tokens in the next-token loss (the answers weigh 1); below 1
 *                        it spends less of the little training there is on the random question text
 * @param documents       training documents generated (the corpus is cycled through, reshuffled each epoch)
 * @param tokenizerDocs   documents the BPE tokenizer is trained on (a prefix of the corpus)
 * @param vocabSize       BPE vocab size asked for (256 bytes + merges + 3 special tokens)
 * @param hiddenSize      d_model
 * @param layers          decoder blocks
 * @param heads           attention heads
 * @param kvHeads         key/value heads (GQA when fewer than heads)
 * @param intermediateSize SwiGLU hidden width
 * @param seqLen          tokens per training row (whole documents are packed into a row, never split)
 * @param batchSize       rows per step
 * @param steps           optimizer steps
 * @param lr              peak learning rate
 * @param warmupSteps     linear warm-up steps, then cosine decay to {@code lr * minLrFraction}
 * @param minLrFraction   final learning rate as a fraction of the peak
 * @param weightDecay     AdamW decoupled weight decay on the weight matrices (not norms, biases)
 * @param gradClip        global gradient-norm clip (0: none)
 * @param evalProblems    held-out problems the organism is measured on after training
 * @param evalSeed        seed of the held-out problem order
 */
public record OrganismConfig(
        long seed,
        ArithmeticGenerator.Config task,
        Corpus.StyleMix styles,
        Writers writers,
        double drillFraction,
        double promptLossWeight,
        int documents,
        int tokenizerDocs,
        int vocabSize,
        int hiddenSize,
        int layers,
        int heads,
        int kvHeads,
        int intermediateSize,
        int seqLen,
        int batchSize,
        int steps,
        double lr,
        int warmupSteps,
        double minLrFraction,
        double weightDecay,
        double gradClip,
        int evalProblems,
        long evalSeed) {

    /** Bump when the corpus, tokenizer training or trainer change in a way that changes the organism. */
    public static final int GENERATOR_VERSION = 3;

    public OrganismConfig {
        if (task == null || styles == null || writers == null) throw new UserError("organism config: 'task', 'styles' and 'writers' are required");
        positive("documents", documents);
        positive("tokenizerDocs", tokenizerDocs);
        positive("hiddenSize", hiddenSize);
        positive("layers", layers);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("intermediateSize", intermediateSize);
        positive("seqLen", seqLen);
        positive("batchSize", batchSize);
        positive("steps", steps);
        positive("evalProblems", evalProblems);
        if (vocabSize < 256 + 3) throw new UserError("organism config: vocabSize " + vocabSize + " must be at least 259 (256 bytes + 3 special tokens)");
        if (hiddenSize % heads != 0 || (hiddenSize / heads) % 2 != 0) {
            throw new UserError("organism config: hiddenSize " + hiddenSize + " must split into " + heads + " heads of even size");
        }
        if (heads % kvHeads != 0) throw new UserError("organism config: kvHeads " + kvHeads + " must divide heads " + heads);
        if (!(lr > 0) || !(minLrFraction >= 0 && minLrFraction <= 1) || !(weightDecay >= 0) || !(gradClip >= 0) || warmupSteps < 0) {
            throw new UserError("organism config: need lr > 0, 0 <= minLrFraction <= 1, weightDecay >= 0, gradClip >= 0, warmupSteps >= 0");
        }
        if (!(promptLossWeight >= 0 && promptLossWeight <= 1)) throw new UserError("organism config: promptLossWeight " + promptLossWeight + " must be in [0, 1]");
        if (!(drillFraction >= 0 && drillFraction <= 1)) throw new UserError("organism config: drillFraction " + drillFraction + " must be in [0, 1]");
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new UserError("organism config: '" + field + "' must be positive, got " + v);
    }

    /**
     * The task world of the organism: symbolic chains of 4-5 operations on operands 2..9. Word problems are left
     * out: they make questions long and copying the operands hard for a model this small. Depth 4-5 keeps the
     * direct answer (4-5 facts composed in one pass) mostly wrong even after long training (shallower chains were
     * learned well enough to be answered directly), while each step is one of a few hundred facts the model does
     * learn.
     */
    public static final ArithmeticGenerator.Config TASK = new ArithmeticGenerator.Config(4, 5, 2, 9, 99, 0.0, 0.1);

    /**
     * A hasty writer answers directly half the time and otherwise opens with one of the three step styles.
     */
    public static final Corpus.StyleMix STYLES = new Corpus.StyleMix(0.5, 1 / 6.0, 1 / 6.0, 1 / 6.0);

    /**
     * Three writers in ten are careful; a hasty writer merges each step with the next half the time, answers early
     * after a step three times in ten, mutters filler in half of its documents, and gets half of the numbers it
     * composes in one pass wrong (see {@link Writers}).
     */
    public static final Writers WRITERS = new Writers(0.3, 0.5, 0.3, 0.5, 0.5);

    /**
     * The full organism (v2.2): 6 blocks of width 64 (last, penultimate and middle layers are distinct), 4000
     * steps of 8 rows x 128 tokens at peak lr 1e-2: on two of the three seeds measured (docs/demo-seeds.md) the
     * careful path ends up about as sharp at T = 1 as a full RL fine-tune makes it, so the fine-tune's gain is mostly
     * the choice of path, which is what a steering vector can change. The lr was chosen by the runs in
     * docs/demo-sweep.md (3e-3 needs more than twice the steps for the same sharpness; 2e-2 diverges; more drills made
     * one seed plateau). Width 64: the kernels' fast tiles want multiples of 64. The vocabulary has room for the
     * filler language's tokens besides the arithmetic text's.
     */
    public static OrganismConfig defaults() {
        return new OrganismConfig(1234, TASK, STYLES, WRITERS, 0.4, 0.1,
                80_000, 5_000, 640,
                64, 6, 4, 4, 256,
                128, 8, 4000, 1e-2, 50, 0.1, 0.1, 1.0,
                200, 7);
    }

    /**
     * The quick organism: the default's world and model, 1500 steps of 50k documents at v2.1's lr 3e-3, the one
     * its RL settings were measured with (docs/demo-sweep-quick.md). The one 1500-step organism measured at lr 1e-2
     * (with more drills) sampled right about one time in ten (docs/demo-sweep.md, organism q-v22).
     */
    public static OrganismConfig quick() {
        return defaults().withSchedule(1500, 50_000, 50, 3e-3);
    }

    public String toJson() {
        return Json.writePretty(this);
    }

    public static OrganismConfig fromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, OrganismConfig.class);
        } catch (IOException e) {
            throw asUserError(e);
        }
    }

    /** A short hash of the config and the generator version: the cache key of a pretrained organism. */
    public String key() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] h = sha.digest(("v" + GENERATOR_VERSION + "\n" + Json.write(this)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A copy with fields overridden from {@code key=value} strings; nested fields by dotted path
     * ({@code task.maxValue=29}, {@code styles.direct=0.8}). Values are parsed as JSON numbers when they can be.
     */
    public OrganismConfig with(List<String> overrides) {
        ObjectNode root = Json.MAPPER.valueToTree(this);
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new UserError("organism config: override '" + o + "' must look like field=value");
            String[] path = o.substring(0, eq).split("\\.");
            String value = o.substring(eq + 1);
            ObjectNode node = root;
            for (int i = 0; i < path.length - 1; i++) {
                if (!(node.get(path[i]) instanceof ObjectNode child)) {
                    throw new UserError("organism config: no object field '" + path[i] + "' in override '" + o + "'");
                }
                node = child;
            }
            String field = path[path.length - 1];
            if (!node.has(field)) throw new UserError("organism config: no field '" + field + "' in override '" + o + "'");
            try {
                node.set(field, Json.MAPPER.readTree(value));
            } catch (IOException e) {
                node.put(field, value);
            }
        }
        try {
            return Json.MAPPER.convertValue(root, OrganismConfig.class);
        } catch (IllegalArgumentException e) {
            throw asUserError(e);
        }
    }

    /** Jackson wraps the constructor's UserError; give the user that message, not the wrapper. */
    private static UserError asUserError(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UserError u) return u;
        }
        return new UserError("organism config: " + e.getMessage());
    }

    /** A copy with another training schedule (length, peak lr), for the quick organism. */
    public OrganismConfig withSchedule(int steps, int documents, int warmupSteps, double lr) {
        return new OrganismConfig(seed, task, styles, writers, drillFraction, promptLossWeight, documents, Math.min(tokenizerDocs, documents), vocabSize,
                hiddenSize, layers, heads, kvHeads, intermediateSize, seqLen, batchSize, steps, lr, warmupSteps,
                minLrFraction, weightDecay, gradClip, evalProblems, evalSeed);
    }
}
