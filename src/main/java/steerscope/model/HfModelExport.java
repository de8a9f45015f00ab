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

/** Writes a model as a Hugging Face checkpoint directory (F32 weights), with the tokenizer files of its own directory. */
public final class HfModelExport {
    private HfModelExport() {}

    public static void write(Model model, Path out) {
        try {
            Files.createDirectories(out);
            model.weights.writeSafetensors(out.resolve("model.safetensors"));
            Map<String, Object> config = new LinkedHashMap<>(model.config.toJson());
            config.put("torch_dtype", "float32");
            AtomicFiles.writeString(out.resolve("config.json"), Json.writePretty(config));
            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
                Path src = model.dir.resolve(f);
                if (Files.isRegularFile(src)) AtomicFiles.writeBytes(out.resolve(f), Files.readAllBytes(src));
            }
        } catch (IOException e) {
            throw UserError.inFile(out, "cannot save the model: " + IoErrors.describe(e));
        }
    }
}
