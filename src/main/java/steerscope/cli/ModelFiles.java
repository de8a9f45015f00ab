package steerscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import steerscope.io.HubCache;
import steerscope.io.Json;
import steerscope.model.Checkpoint;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/** A checkpoint directory as the commands use it: the model, its tokenizer, and its chat template if any. */
final class ModelFiles implements AutoCloseable {
    final Model model;
    final Tokenizer tokenizer;
    final ChatTemplate chat; // null when tokenizer_config.json has none
    final String defaultTemplate; // the prompt template the model was trained for (steerscope.json), or null
    final Integer defaultMaxNewTokens; // its generation length (steerscope.json), or null

    private ModelFiles(Model model, Tokenizer tokenizer, ChatTemplate chat, String defaultTemplate, Integer defaultMaxNewTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chat = chat;
        this.defaultTemplate = defaultTemplate;
        this.defaultMaxNewTokens = defaultMaxNewTokens;
    }

    /** A --model argument: a directory, or a Hub ID resolved offline in the local cache. */
    static Path resolve(String model, String revision) {
        return HubCache.fromEnvironment().resolve(model, revision, HubCache.Kind.MODEL);
    }

    static ModelFiles open(Path dir) {
        Checkpoint c = Checkpoint.open(dir);
        Model model = c.model();
        try {
            // a model steerscope made (the organism) says how it is prompted: steerscope.json
            Path defaults = dir.resolve(HfModelExport.MODEL_DEFAULTS_FILE);
            String template = null;
            Integer maxNew = null;
            if (Files.isRegularFile(defaults)) {
                JsonNode d = Json.read(defaults);
                if (d.has("prompt_template")) {
                    if (!d.get("prompt_template").isTextual() || !d.get("prompt_template").asText().contains("{question}")) {
                        throw UserError.inFile(defaults, "field 'prompt_template' must be a string containing {question}");
                    }
                    template = d.get("prompt_template").asText();
                }
                if (d.has("max_new_tokens")) {
                    if (!d.get("max_new_tokens").canConvertToInt() || d.get("max_new_tokens").asInt() < 1) {
                        throw UserError.inFile(defaults, "field 'max_new_tokens' must be a positive integer");
                    }
                    maxNew = d.get("max_new_tokens").asInt();
                }
            }
            return new ModelFiles(model, c.tokenizer(), c.chat(), template, maxNew);
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
