package steerscope.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.io.AtomicFiles;
import steerscope.io.IoErrors;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * Writes a model as a Hugging Face checkpoint directory (F32 weights), with the tokenizer files of its own directory
 * and, from a model steerscope made, the files that say how to use it, so a fine-tune of the organism is prompted as
 * the organism is.
 */
public final class HfModelExport {
    /** The prompt format and generation length a model steerscope made was trained for, read by the plain commands. */
    public static final String MODEL_DEFAULTS_FILE = "steerscope.json";
    /** The organism's filler-language token ids. */
    public static final String DISTRACTOR_TOKENS_FILE = "distractor_tokens.json";
    /** Copied as they are from the model's own directory. */
    static final List<String> COPIED = List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json", MODEL_DEFAULTS_FILE,
            DISTRACTOR_TOKENS_FILE);

    private HfModelExport() {}

    public static void write(Model model, Path out) {
        try {
            Files.createDirectories(out);
            model.weights.writeSafetensors(out.resolve("model.safetensors"));
            Map<String, Object> config = new LinkedHashMap<>(model.config.toJson());
            config.put("torch_dtype", "float32");
            AtomicFiles.writeString(out.resolve("config.json"), Json.writePretty(config));
            for (String f : COPIED) {
                Path src = model.dir.resolve(f);
                if (Files.isRegularFile(src)) AtomicFiles.writeBytes(out.resolve(f), Files.readAllBytes(src));
            }
        } catch (IOException e) {
            throw UserError.inFile(out, "cannot save the model: " + IoErrors.describe(e));
        }
    }
}
