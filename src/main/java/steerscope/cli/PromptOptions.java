package steerscope.cli;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.task.Prompts;
import steerscope.util.UserError;

/** How problems become prompts: the chat template (when the model has one) or plain text. */
final class PromptOptions {
    @Option(names = "--template", paramLabel = "TEXT",
            description = "Prompt text with {question} (default: the model's own from its steerscope.json, as the organism has; else the question, then an instruction to reason step by step and box the answer).")
    String template;

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt (chat models).")
    String system;

    @Option(names = "--no-chat", description = "Do not use the model's chat template even when it has one.")
    boolean noChat;

    /** --template, else the model's own (steerscope.json), else the default instruction template. */
    String template(ModelFiles m) {
        return template != null ? template : m.defaultTemplate != null ? m.defaultTemplate : PromptTemplate.DEFAULT_TEMPLATE;
    }

    Prompts build(ModelFiles m) {
        PromptTemplate t = new PromptTemplate(template(m), system);
        return new Prompts(m.tokenizer, t, noChat ? null : m.chat);
    }

    /** The longest prompt, in tokens, these problems make. */
    static int longestPrompt(Prompts prompts, List<Problem> problems) {
        int longest = 0;
        for (Problem p : problems) longest = Math.max(longest, prompts.encode(p).length);
        return longest;
    }

    /**
     * The --max-new-tokens to use. An explicit value is used as given (the generator rejects one the context cannot
     * honour); the default shrinks to the room the model's context leaves after the longest prompt, with one line
     * on stderr saying so, so default options work on a model with a short context.
     */
    static int maxNewTokens(Integer explicit, int preferred, int context, int longestPrompt) {
        if (explicit != null) return explicit;
        int room = context - longestPrompt;
        if (preferred <= room) return preferred;
        if (room < 1) {
            throw new UserError("the longest prompt has " + longestPrompt + " tokens, which fills the model's " + context
                    + " positions; shorten it (or the --template)");
        }
        System.err.printf(Locale.ROOT, "--max-new-tokens: %d (the default %d does not fit: the model has %d positions and the longest prompt %d tokens)%n",
                room, preferred, context, longestPrompt);
        return room;
    }
}
