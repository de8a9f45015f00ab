package steerscope.task;

import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.Tokenizer;

/**
 * Turns a problem into prompt token ids: through the model's chat template (with the generation prompt added)
 * when there is one, else a plain text template with {@code {question}}.
 */
public final class Prompts {
    private final Tokenizer tokenizer;
    private final PromptTemplate template;
    private final ChatTemplate chat; // null: plain template

    public Prompts(Tokenizer tokenizer, PromptTemplate template, ChatTemplate chat) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.chat = chat;
    }

    public String text(Problem p) {
        return chat == null ? template.render(p) : chat.render(template.messages(p), true);
    }

    public int[] encode(Problem p) {
        // a chat template writes its own special tokens (BOS included); a plain prompt gets the tokenizer's
        return tokenizer.encode(text(p), chat == null);
    }
}
