package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import steerscope.model.Model;
import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/** A checkpoint directory as the commands use it: the model, its tokenizer, and its chat template if any. */
final class ModelFiles implements AutoCloseable {
    final Model model;
    final Tokenizer tokenizer;
    final ChatTemplate chat; // null when tokenizer_config.json has none

    private ModelFiles(Model model, Tokenizer tokenizer, ChatTemplate chat) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chat = chat;
    }

    /** A --model argument: a directory, or a Hub ID resolved offline in the local cache. */
    static Path resolve(String model, String revision) {
        return steerscope.io.HubCache.fromEnvironment().resolve(model, revision, steerscope.io.HubCache.Kind.MODEL);
    }

    static ModelFiles open(Path dir) {
        Model model = Model.load(dir);
        try {
            Path tj = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(tj)) throw UserError.inFile(dir, "no tokenizer.json");
            Tokenizer tok = Tokenizer.load(tj);
            Path tc = dir.resolve("tokenizer_config.json");
            ChatTemplate chat = null;
            if (Files.isRegularFile(tc)) {
                com.fasterxml.jackson.databind.JsonNode cfg = steerscope.io.Json.read(tc);
                if (cfg.hasNonNull("chat_template")) chat = ChatTemplate.load(tc);
            }
            if (tok.vocabSize() > model.config.vocabSize()) {
                throw UserError.inFile(tj, "tokenizer has " + tok.vocabSize() + " tokens but config.json vocab_size is " + model.config.vocabSize());
            }
            return new ModelFiles(model, tok, chat);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    ChatTemplate requireChat() {
        if (chat == null) throw UserError.inFile(model.dir.resolve("tokenizer_config.json"), "--chat needs a chat_template, and there is none");
        return chat;
    }

    @Override
    public void close() {
        model.close();
    }
}
