package steerscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.analysis.CombineLayers;
import steerscope.analysis.CompareFinetune;
import steerscope.analysis.Sampled;
import steerscope.analysis.SingleLayer;
import steerscope.analysis.Transfer;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;
import steerscope.model.Generator;
import steerscope.model.ModelConfig;
import steerscope.model.SteeringVectors;
import steerscope.report.ReportWriter;
import steerscope.rl.RlConfig;
import steerscope.rl.reward.CorrectnessReward;
import steerscope.steer.VectorFiles;
import steerscope.task.Dataset;
import steerscope.task.Problem;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

@Command(name = "experiment", description = "The paper's later experiments, each writing NAME.json and report.html into --out (docs/experiments.md).",
        subcommands = {AdaptiveCommand.class, ExperimentCommand.CombineLayersCommand.class, ExperimentCommand.TransferCommand.class, ExperimentCommand.CompareFinetuneCommand.class})
final class ExperimentCommand implements Runnable {
    /** The files the experiments write; a directory holding one of them (or its kept conditions) is an earlier experiment's --out. */
    static final List<String> FILES = List.of("combine_layers", "transfer", "compare_finetune");

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    static boolean isExperimentDir(Path dir) {
        for (String f : FILES) {
            if (Files.isRegularFile(dir.resolve(f + ".json")) || Files.isDirectory(dir.resolve(f + ".parts"))) return true;
        }
        return Files.isRegularFile(dir.resolve("report.html"));
    }

    /**
     * Refuses two models whose shapes differ, from their config.json alone (before either is loaded), naming both
     * files and the first field that differs; with {@code vocab} the vocabulary size too.
     */
    static void requireSameShapes(Path a, Path b, boolean vocab, String why) {
        var ca = ModelConfig.load(a);
        var cb = ModelConfig.load(b);
        List<String[]> fields = new ArrayList<>(List.of(new String[] {"num_hidden_layers", ca.nLayers() + "", cb.nLayers() + ""},
                new String[] {"hidden_size", ca.hiddenSize() + "", cb.hiddenSize() + ""}));
        if (vocab) fields.add(new String[] {"vocab_size", ca.vocabSize() + "", cb.vocabSize() + ""});
        for (String[] f : fields) {
            if (!f[1].equals(f[2])) {
                throw new UserError(b.resolve("config.json") + ": " + f[0] + " is " + f[2] + " but " + a.resolve("config.json") + " has " + f[0] + " " + f[1]
                        + " (" + why + ")");
            }
        }
    }

    /** What every experiment shares: the test problems, how they are sampled, and where the files go. */
    static final class Common {
        @Mixin(name = "data") DataOptions dataOptions;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--limit", defaultValue = "64", description = "Problems evaluated (the first N; default: ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--samples", defaultValue = "4", paramLabel = "K",
                description = "Samples per problem at T = 1 for every accuracy (default: ${DEFAULT-VALUE}).") int samples;
        @Option(names = "--max-new-tokens", description = "Default: the model's own (steerscope.json), else 256, or what its context leaves.") Integer maxNewTokens;
        @Option(names = "--batch", defaultValue = "64", description = "Sequences generated together (default: ${DEFAULT-VALUE}).") int batch;
        @Option(names = "--seed", defaultValue = "0") long seed;
        @Option(names = "--overwrite", description = "Write into --out even if it holds files that are not an earlier experiment's.") boolean overwrite;
        @Mixin PromptOptions promptOptions;

        List<Problem> problems() {
            if (limit <= 0 || samples <= 0 || batch <= 0 || (maxNewTokens != null && maxNewTokens <= 0)) {
                throw new UserError("--limit, --samples, --batch and --max-new-tokens must be positive");
            }
            List<Problem> p = dataOptions.load("test");
            return limit < p.size() ? p.subList(0, limit) : p;
        }

        Sampled.Options sampled(ModelFiles m, List<Problem> problems) {
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, m.defaultMaxNewTokens != null ? m.defaultMaxNewTokens : 256,
                    m.model.config.maxPositionEmbeddings(), PromptOptions.longestPrompt(promptOptions.build(m), problems));
            Generator.checkRoom(m.model.config, newTokens);
            return new Sampled.Options(samples, newTokens, batch, seed);
        }

        /** What kept per-problem accuracies depend on besides the vectors. */
        String key(Path model, List<Problem> problems, Sampled.Options o) {
            return Json.write(Map.of("model", model.toAbsolutePath().normalize().toString(), "problems", problems.size(),
                    "first", problems.get(0).question(), "options", o.toString(), "template", String.valueOf(promptOptions.template),
                    "system", String.valueOf(promptOptions.system), "no_chat", promptOptions.noChat));
        }

        void checkOut(String command) {
            OutputPath.checkDir(out, "experiment " + command, ExperimentCommand::isExperimentDir, overwrite);
        }

        void finish(String name, Map<String, Object> result) {
            AtomicFiles.writeString(out.resolve(name + ".json"), Json.writePretty(result));
            ReportWriter.write(out, out.resolve("report.html"));
        }
    }

    @Command(name = "combine-layers", description = "Single-layer vectors applied in pairs: the L x L matrix of sampled accuracy, each pair's gain "
            + "relative to its better single vector, and its correlation with the vectors' cosine (combine_layers.json).")
    static final class CombineLayersCommand implements Callable<Integer> {
        @Mixin ModelOption modelOption;
        @Mixin Common common;
        @Option(names = "--vectors", split = ",", paramLabel = "FILE", description = "Vector files, each holding one vector trained alone on one layer.")
        List<Path> vectors;
        @Option(names = "--single-layer", paramLabel = "FILE.json", description = "A single_layer.json (analyze --single-layer-steps): its runs' vectors.")
        Path singleLayer;
        @Option(names = "--train-steps", defaultValue = "0", paramLabel = "N",
                description = "Train each layer's vector alone here instead (N RL steps each, on --train-data; kept in --out/single_layer_runs).") int trainSteps;
        @Option(names = "--train-data", paramLabel = "FILE.jsonl") Path trainData;
        @Option(names = "--train-lr", defaultValue = "3e-2", description = "Learning rate of those runs (default: ${DEFAULT-VALUE}).") double trainLr;
        @Option(names = "--layers", split = ",", paramLabel = "LIST", description = "Only these layers (default: every layer there is a vector for).")
        int[] layers;

        @Override
        public Integer call() {
            int sources = (vectors != null ? 1 : 0) + (singleLayer != null ? 1 : 0) + (trainSteps > 0 ? 1 : 0);
            if (sources != 1) throw new UserError("combine-layers: give the vectors one way: --vectors F1,F2,..., --single-layer FILE.json or --train-steps N");
            if (trainSteps > 0 && trainData == null) throw new UserError("--train-steps needs --train-data");
            if (trainSteps < 0) throw new UserError("--train-steps must be positive");
            common.checkOut("combine-layers");
            List<Problem> problems = common.problems();
            Path model = modelOption.dir();
            try (ModelFiles m = ModelFiles.open(model)) {
                int L = m.model.config.nLayers(), d = m.model.config.hiddenSize();
                if (layers != null) for (int l : layers) if (l < 0 || l >= L) throw new UserError("--layers: layer " + l + " is out of range 0.." + (L - 1));
                Sampled.Options so = common.sampled(m, problems);
                OutputPath.requireWritable(common.out);
                Interrupts.onInterrupt(() -> "the conditions measured so far are kept in " + common.out + "; run the same command again");
                TreeMap<Integer, SteeringVectors> singles = new TreeMap<>();
                long trainStart = System.nanoTime();
                if (vectors != null) {
                    for (Path f : vectors) {
                        SteeringVectors v = VectorFiles.read(f, L, d);
                        if (v.layers().length != 1) {
                            throw UserError.inFile(f, "holds vectors on layers " + Arrays.toString(v.layers())
                                    + "; combine-layers takes files holding one vector each, trained alone on its layer");
                        }
                        if (singles.put(v.layers()[0], v) != null) throw UserError.inFile(f, "a second vector for layer " + v.layers()[0]);
                    }
                } else if (singleLayer != null) {
                    singles.putAll(fromSingleLayerJson(singleLayer, L, d));
                } else {
                    RlConfig recipe = RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(trainSteps).lr(trainLr).maxNewTokens(so.maxNewTokens()).seed(common.seed).build();
                    var setup = new SingleLayer.Setup(m.model, m.tokenizer, common.promptOptions.build(m), Dataset.load(trainData), problems,
                            recipe, CorrectnessReward.of(recipe.boxedOnly(), recipe.negReward()), so);
                    int[] want = layers != null ? layers : IntStream.range(0, L).toArray();
                    for (int l : want) singles.put(l, SingleLayer.train(setup, l, common.out.resolve("single_layer_runs/layer-" + l)));
                }
                if (layers != null) {
                    for (int l : layers) if (!singles.containsKey(l)) throw new UserError("--layers: there is no single-layer vector for layer " + l);
                    singles.keySet().retainAll(Arrays.stream(layers).boxed().toList());
                }
                long t0 = System.nanoTime();
                Map<String, Object> r = CombineLayers.run(m.model, m.tokenizer, common.promptOptions.build(m), problems, new ArrayList<>(singles.values()),
                        so, common.out.resolve("combine_layers.parts"), common.key(model, problems, so), true);
                if (trainSteps > 0) r.put("train_seconds", Math.round((t0 - trainStart) / 1e6) / 1e3); // the single-layer runs (read back: little)
                common.finish("combine_layers", r);
                System.out.printf(Locale.ROOT, "combine-layers: %d layers, %d pairs, n=%d, K=%d; correlation(cosine, pair − better single) %s; %.1f s; "
                                + "combine_layers.json and report.html in %s%n", singles.size(), ((List<?>) r.get("pairs")).size(), problems.size(), so.k(),
                        Json.write(r.get("correlation_minus_best")), (System.nanoTime() - t0) / 1e9, common.out);
            }
            return 0;
        }

        /** The vectors of a single_layer.json's runs ({@code run_dir}/vectors.safetensors, relative paths read from the file's directory too). */
        static Map<Integer, SteeringVectors> fromSingleLayerJson(Path file, int L, int d) {
            if (!Files.isRegularFile(file)) throw UserError.inFile(file, "file not found");
            JsonNode j = Json.read(file);
            if (!j.path("layers").isArray() || j.path("layers").isEmpty()) throw UserError.inFile(file, "field 'layers' must be a non-empty array (a single_layer.json)");
            Map<Integer, SteeringVectors> out = new TreeMap<>();
            for (JsonNode row : j.path("layers")) {
                if (!row.path("run_dir").isTextual() || !row.path("layer").canConvertToInt()) {
                    throw UserError.inFile(file, "each entry of 'layers' needs 'layer' (an integer) and 'run_dir' (a string)");
                }
                Path dir = Path.of(row.path("run_dir").asText());
                if (!Files.isDirectory(dir) && !dir.isAbsolute()) dir = file.toAbsolutePath().getParent().resolve(dir);
                SteeringVectors v = VectorFiles.read(dir.resolve("vectors.safetensors"), L, d);
                if (v.layers().length != 1 || v.layers()[0] != row.path("layer").asInt()) {
                    throw UserError.inFile(dir.resolve("vectors.safetensors"), "expected one vector, on layer " + row.path("layer").asInt()
                            + "; it has layers " + Arrays.toString(v.layers()));
                }
                out.put(v.layers()[0], v);
            }
            return out;
        }
    }

    @Command(name = "transfer", description = "Vectors trained on one model applied to another of the same shapes: accuracy of (from, to) x "
            + "(no vector, own vector, transferred vector) and kept_fraction = transferred gain / own gain (transfer.json).")
    static final class TransferCommand implements Callable<Integer> {
        @Option(names = "--from", required = true, paramLabel = "DIR|ID", description = "The model the vectors were trained on.") String from;
        @Option(names = "--to", required = true, paramLabel = "DIR|ID", description = "The model they are transferred to (same n_layers and d_model).") String to;
        @Option(names = "--vectors", required = true, paramLabel = "FILE", description = "Vectors trained on --from.") Path vectors;
        @Option(names = "--to-vectors", paramLabel = "FILE",
                description = "Vectors trained on --to (its own vector; also transferred back to --from). Without it, kept_fraction is "
                        + "relative to the --from vectors' gain on --from.") Path toVectors;
        @Mixin Common common;

        @Override
        public Integer call() {
            common.checkOut("transfer");
            List<Problem> problems = common.problems();
            Path a = ModelFiles.resolve(from, null), b = ModelFiles.resolve(to, null);
            requireSameShapes(a, b, false, "vectors transfer only between models of the same shapes");
            try (ModelFiles ma = ModelFiles.open(a); ModelFiles mb = ModelFiles.open(b)) {
                var ca = ma.model.config;
                var cb = mb.model.config;
                SteeringVectors va = VectorFiles.read(vectors, ca.nLayers(), ca.hiddenSize());
                SteeringVectors vb = toVectors == null ? null : VectorFiles.read(toVectors, cb.nLayers(), cb.hiddenSize());
                Sampled.Options so = common.sampled(ma, problems);
                Generator.checkRoom(cb, so.maxNewTokens());
                OutputPath.requireWritable(common.out);
                Interrupts.onInterrupt(() -> "the conditions measured so far are kept in " + common.out + "; run the same command again");
                long t0 = System.nanoTime();
                Map<String, Object> r = Transfer.run(
                        new Transfer.Side(a.toString(), ma.model, ma.tokenizer, common.promptOptions.build(ma), va),
                        new Transfer.Side(b.toString(), mb.model, mb.tokenizer, common.promptOptions.build(mb), vb),
                        problems, so, common.out.resolve("transfer.parts"), common.key(a, problems, so) + " to " + b.toAbsolutePath().normalize(), true);
                common.finish("transfer", r);
                System.out.printf(Locale.ROOT, "transfer: n=%d, K=%d; kept_fraction %s%s; %.1f s; transfer.json and report.html in %s%n", problems.size(), so.k(),
                        Json.write(r.get("kept_fraction")), r.get("kept_fraction_reason") != null ? " (" + r.get("kept_fraction_reason") + ")" : "",
                        (System.nanoTime() - t0) / 1e9, common.out);
            }
            return 0;
        }
    }

    @Command(name = "compare-finetune", description = "Does the full fine-tune do what the vectors do? Δp per position of each against the base, "
            + "KL(full || steered) per position, and the logit lens of the fine-tune's mean residual difference per layer next to each vector's "
            + "(compare_finetune.json).")
    static final class CompareFinetuneCommand implements Callable<Integer> {
        @Mixin ModelOption modelOption;
        @Option(names = "--full", required = true, paramLabel = "DIR", description = "The full fine-tune of --model (a checkpoint directory, e.g. RUN_DIR/model).")
        Path full;
        @Option(names = "--vectors", required = true, paramLabel = "FILE", description = "The vectors trained on --model.") Path vectors;
        @Option(names = "--sequences", defaultValue = "64", description = "EOS-ending samples teacher-forced per comparison (default: ${DEFAULT-VALUE}).") int sequences;
        @Option(names = "--forward-prompts", defaultValue = "32", description = "Prompts whose residual differences are read (default: ${DEFAULT-VALUE}).") int forwardPrompts;
        @Mixin Common common;

        @Override
        public Integer call() {
            if (sequences <= 0 || forwardPrompts <= 0) throw new UserError("--sequences and --forward-prompts must be positive");
            common.checkOut("compare-finetune");
            List<Problem> problems = common.problems();
            Path base = modelOption.dir();
            requireSameShapes(base, full, true, "a full fine-tune has its base model's shapes and vocabulary");
            try (ModelFiles mb = ModelFiles.open(base); ModelFiles mf = ModelFiles.open(full)) {
                SteeringVectors v = VectorFiles.read(vectors, mb.model.config.nLayers(), mb.model.config.hiddenSize());
                Sampled.Options so = common.sampled(mb, problems);
                OutputPath.requireWritable(common.out);
                Interrupts.onInterrupt(() -> "compare_finetune.json is written only at the end; run the same command again");
                long t0 = System.nanoTime();
                Map<String, Object> r = CompareFinetune.run(mb.model, mf.model, mb.tokenizer, common.promptOptions.build(mb), problems, v, so,
                        sequences, forwardPrompts, true);
                common.finish("compare_finetune", r);
                System.out.printf(Locale.ROOT, "compare-finetune: n=%d, K=%d; full − vectors accuracy %s; %.1f s; compare_finetune.json and report.html in %s%n",
                        problems.size(), so.k(), Json.write(r.get("full_minus_vectors")), (System.nanoTime() - t0) / 1e9, common.out);
            }
            return 0;
        }
    }
}
