package steerscope.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.io.GgufWriter.TensorType;
import steerscope.model.GgufModelExport;
import steerscope.util.UserError;

@Command(name = "export", description = "Write a checkpoint as a llama.cpp GGUF model, tokenizer and chat template included "
        + "(llama-cli -m model.gguf --control-vector vectors.gguf runs it steered).")
final class ExportCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Option(names = "--format", required = true, description = "gguf") String format;
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf") Path out;
    @Option(names = "--dtype", description = "f32 | f16 | bf16 for the weight matrices (default: the checkpoint's); norms and biases stay f32.")
    String dtype;

    @Override
    public Integer call() {
        if (!format.equals("gguf")) throw new UserError("--format must be gguf, got '" + format + "'");
        try (ModelFiles m = ModelFiles.open(modelOption.dir())) {
            TensorType type = dtype == null ? GgufModelExport.defaultType(m.model) : switch (dtype) {
                case "f32" -> TensorType.F32;
                case "f16" -> TensorType.F16;
                case "bf16" -> TensorType.BF16;
                default -> throw new UserError("--dtype must be f32, f16 or bf16, got '" + dtype + "'");
            };
            // the tokenizer's post-processor decides whether a BOS goes first; llama.cpp reads it as add_bos_token
            boolean addBos = m.tokenizer.encode("a", true).length > m.tokenizer.encode("a", false).length;
            GgufModelExport.write(m.model, type, addBos, out);
            System.out.printf(Locale.ROOT, "wrote %s (%s, %s weights)%n", out, m.model.config.architecture(), type.name().toLowerCase(Locale.ROOT));
        }
        return 0;
    }
}
