package steerscope.model;

import java.nio.file.Files;
import java.nio.file.Path;
import steerscope.io.Json;
import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/** A Hugging Face checkpoint directory opened whole: the model, its tokenizer, and its chat template if any. */
public record Checkpoint(Model model, Tokenizer tokenizer, ChatTemplate chat) implements AutoCloseable {
    /** Loads dir; the chat template is null when tokenizer_config.json is missing or has none. */
    public static Checkpoint open(Path dir) {
        Model model = Model.load(dir);
        try {
            Path tj = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(tj)) throw UserError.inFile(dir, "no tokenizer.json");
            Tokenizer tok = Tokenizer.load(tj);
            if (tok.vocabSize() > model.config.vocabSize()) {
                throw UserError.inFile(tj, "tokenizer has " + tok.vocabSize() + " tokens but config.json vocab_size is " + model.config.vocabSize());
            }
            Path tc = dir.resolve("tokenizer_config.json");
            ChatTemplate chat = Files.isRegularFile(tc) && Json.read(tc).hasNonNull("chat_template") ? ChatTemplate.load(tc) : null;
            return new Checkpoint(model, tok, chat);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
