package steerscope.cli;

import picocli.CommandLine.Option;
import steerscope.rl.Prompts;
import steerscope.task.PromptTemplate;
import steerscope.tokenizer.ChatTemplate;

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
        if (noChat || m.chat == null) return new Prompts(m.tokenizer, t, null);
        ChatTemplate chat = m.chat;
        return new Prompts(m.tokenizer, t, turns -> chat.render(turns.stream()
                .map(x -> new ChatTemplate.Message(x.role(), x.content())).toList(), true));
    }
}
