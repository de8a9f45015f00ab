package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import steerscope.io.Json;
import steerscope.model.Model;
import steerscope.model.ModelConfig;
import steerscope.model.ModelWeights;
import steerscope.model.SteeringVectors;
import steerscope.steer.DownProjBias;
import steerscope.steer.GgufControlVector;
import steerscope.steer.VectorArithmetic;
import steerscope.steer.VectorFiles;
import steerscope.tensor.Kernels;
import steerscope.tensor.Mat;
import steerscope.util.UserError;

@Command(name = "vectors", description = "Show, export and import steering-vector files.",
        subcommands = {VectorsCommand.Show.class, VectorsCommand.Export.class, VectorsCommand.Import.class, VectorsCommand.Combine.class})
final class VectorsCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(name = "show", description = "Layers and norms; with --model, the top tokens of each vector's logit lens.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "--model", paramLabel = "DIR|ID") String model;
        @Option(names = "--revision", paramLabel = "REV", description = "With a Hub ID: a branch, tag or commit hash (default: main).") String revision;
        @Option(names = "--top", defaultValue = "10") int top;

        @Override
        public Integer call() {
            SteeringVectors v = VectorFiles.read(file);
            System.out.printf(Locale.ROOT, "%s: %d layers x d_model %d, vectors on %d layers%n", file, v.nLayers(), v.dModel(), v.layers().length);
            v.metadata().forEach((k, val) -> System.out.printf("  %s = %s%n", k, val.length() > 120 ? val.substring(0, 117) + "..." : val));
            ModelFiles m = model == null ? null : ModelFiles.open(ModelFiles.resolve(model, revision));
            try {
                if (m != null && (m.model.config.nLayers() != v.nLayers() || m.model.config.hiddenSize() != v.dModel())) {
                    throw UserError.inFile(file, "made for n_layers=" + v.nLayers() + ", d_model=" + v.dModel() + "; " + model + " has n_layers="
                            + m.model.config.nLayers() + ", d_model=" + m.model.config.hiddenSize());
                }
                for (int l : v.layers()) {
                    String tops = m == null ? "" : "  top: " + String.join(" ", topTokens(m, v.get(l), top));
                    System.out.printf(Locale.ROOT, "layer %3d  norm %8.4f%s%n", l, v.norm(l), tops);
                }
            } finally {
                if (m != null) m.close();
            }
            return 0;
        }

        /** The tokens a vector pushes most: unembed(final_norm.weight ⊙ v). */
        static List<String> topTokens(ModelFiles m, float[] v, int k) {
            ModelWeights w = m.model.weights;
            float[] x = new float[v.length];
            for (int i = 0; i < v.length; i++) x[i] = v[i] * w.finalNorm[i];
            Mat head = w.lmHead;
            float[] logits = new float[head.rows];
            Kernels.matmul(logits, x, 1, head, null);
            Integer[] idx = new Integer[m.tokenizer.vocabSize()];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
            List<String> out = new ArrayList<>();
            for (int i = 0; i < Math.min(k, idx.length); i++) out.add(Json.write(m.tokenizer.decode(new int[] {idx[i]})));
            return out;
        }
    }

    /** An earlier export or import: a file that reads as steering vectors, which may be replaced. */
    static boolean isVectorFile(Path file) {
        try {
            VectorFiles.read(file);
            return true;
        } catch (UserError e) {
            return false;
        }
    }

    @Command(name = "export", description = "Write vectors as GGUF (llama.cpp --control-vector), steerscope safetensors, or the paper's "
            + "mlp.down_proj biases (safetensors for PyTorch's load_state_dict(strict=False)).")
    static final class Export implements Callable<Integer> {
        @Parameters(paramLabel = "FILE") Path file;
        @Option(names = "--format", required = true, description = "gguf | safetensors | down-proj-bias") String format;
        @Option(names = "--out", required = true, paramLabel = "PATH") Path out;
        @Option(names = "--allow-drop-layer0", description = "GGUF: leave out the block-0 vector, which llama.cpp cannot load.") boolean dropLayer0;
        @Option(names = "--overwrite", description = "Replace --out even if it is not a steering-vector file.") boolean overwrite;

        @Override
        public Integer call() {
            SteeringVectors v = VectorFiles.read(file);
            OutputPath.checkFile(out, "vectors export", VectorsCommand::isVectorFile, overwrite);
            write(v, format, out, dropLayer0);
            System.out.println("wrote " + out);
            return 0;
        }

        /** Writes {@code v} in one of the export formats. */
        static void write(SteeringVectors v, String format, Path out, boolean dropLayer0) {
            switch (format) {
                case "gguf" -> GgufControlVector.write(v, out, dropLayer0);
                case "safetensors" -> VectorFiles.write(v, out);
                case "down-proj-bias" -> DownProjBias.write(v, out, v.metadata());
                default -> throw new UserError("--format must be gguf, safetensors or down-proj-bias, got '" + format + "'");
            }
        }
    }

    @Command(name = "combine", description = "A weighted sum of vector files, layer by layer (a layer a file lacks counts as zero), "
            + "optionally on some layers only; written like any vector file (--format as in export).")
    static final class Combine implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", arity = "1..*", description = "Vector files (steerscope safetensors or llama.cpp GGUF) of the same shape.")
        List<Path> files;
        @Option(names = "--weights", split = ",", paramLabel = "W1,W2,...", description = "One weight per file (default: 1 each, the plain sum).")
        double[] weights;
        @Option(names = "--layers", split = ",", paramLabel = "LIST", description = "Keep only these layers (default: every layer a file has).")
        int[] layers;
        @Option(names = "--out", required = true, paramLabel = "PATH") Path out;
        @Option(names = "--format", defaultValue = "safetensors", description = "safetensors (default) | gguf | down-proj-bias") String format;
        @Option(names = "--allow-drop-layer0", description = "GGUF: leave out the block-0 vector, which llama.cpp cannot load.") boolean dropLayer0;
        @Option(names = "--overwrite", description = "Replace --out even if it is not a steering-vector file.") boolean overwrite;

        @Override
        public Integer call() {
            if (!List.of("safetensors", "gguf", "down-proj-bias").contains(format)) {
                throw new UserError("--format must be gguf, safetensors or down-proj-bias, got '" + format + "'");
            }
            List<SteeringVectors> inputs = new ArrayList<>();
            for (Path f : files) inputs.add(VectorFiles.read(f));
            double[] w = weights;
            if (w == null) {
                w = new double[files.size()];
                Arrays.fill(w, 1.0);
            }
            for (double x : w) if (!Double.isFinite(x)) throw new UserError("--weights: every weight must be a finite number");
            if (layers != null) {
                for (int l : layers) {
                    if (l < 0 || l >= inputs.get(0).nLayers()) {
                        throw new UserError("--layers: layer " + l + " is out of range 0.." + (inputs.get(0).nLayers() - 1));
                    }
                }
            }
            SteeringVectors c = VectorArithmetic.combine(inputs, files, w, layers);
            OutputPath.checkFile(out, "vectors combine", VectorsCommand::isVectorFile, overwrite);
            Export.write(c, format, out, dropLayer0);
            StringBuilder norms = new StringBuilder();
            for (int l : c.layers()) norms.append(String.format(Locale.ROOT, " L%d %.4f", l, c.norm(l)));
            System.out.printf(Locale.ROOT, "wrote %s (%s): norms%s%n", out, c.metadata().get("combined"), norms);
            return 0;
        }
    }

    @Command(name = "import", description = "Convert a llama.cpp GGUF control vector, or the paper's mlp.down_proj biases in a checkpoint, "
            + "to steerscope safetensors.")
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "FILE.gguf", arity = "0..1") Path file;
        @Option(names = "--from-checkpoint", paramLabel = "DIR|ID|FILE",
                description = "Extract model.layers.N.mlp.down_proj.bias from a checkpoint directory (or Hub ID), or from one safetensors file.")
        String checkpoint;
        @Option(names = "--revision", paramLabel = "REV", description = "With a Hub ID: a branch, tag or commit hash (default: main).") String revision;
        @Option(names = "--out", required = true, paramLabel = "FILE.safetensors") Path out;
        @Option(names = "--layers", description = "The model's layer count, when the file does not record it.", defaultValue = "0") int layers;
        @Option(names = "--overwrite", description = "Replace --out even if it is not a steering-vector file.") boolean overwrite;

        @Override
        public Integer call() {
            if ((file == null) == (checkpoint == null)) throw new UserError("vectors import: give either FILE.gguf or --from-checkpoint DIR|ID|FILE");
            SteeringVectors v = file != null ? GgufControlVector.read(file, layers) : fromCheckpoint(ModelFiles.resolve(checkpoint, revision));
            OutputPath.checkFile(out, "vectors import", VectorsCommand::isVectorFile, overwrite);
            VectorFiles.write(v, out);
            System.out.printf(Locale.ROOT, "wrote %s: vectors on layers %s%n", out, Arrays.toString(v.layers()));
            return 0;
        }

        /** The biases of a checkpoint directory, tagged with the base model's identity; or of one safetensors file. */
        private SteeringVectors fromCheckpoint(Path source) {
            SteeringVectors v;
            if (Files.isDirectory(source)) {
                try (Model m = Model.load(source)) {
                    v = DownProjBias.of(m.weights);
                    if (v.layers().length == 0) throw UserError.inFile(source, "carries no model.layers.N.mlp.down_proj.bias (expected the paper's steering vectors)");
                    v.metadata().put("base_model", source.toAbsolutePath().normalize().toString());
                    v.metadata().put("model_type", m.config.modelType());
                    v.metadata().put("model_hash", ModelHash.of(m)); // the base's: the hash leaves the biases out
                }
            } else {
                Path config = source.toAbsolutePath().getParent().resolve("config.json");
                int n = layers > 0 ? layers : Files.isRegularFile(config) ? ModelConfig.load(config.getParent()).nLayers() : 0;
                if (n == 0) throw UserError.inFile(source, "no config.json beside it: pass --layers N (the model's layer count)");
                v = DownProjBias.readFile(source, n);
            }
            v.metadata().put("source", source + " (mlp.down_proj.bias)");
            return v;
        }
    }
}
