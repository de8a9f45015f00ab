package steerscope.rl;

import java.util.List;
import java.util.function.Function;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.tokenizer.Tokenizer;

/**
 * Turns a problem into prompt token ids: through the model's chat template (given as a renderer of the
 * conversation, with the generation prompt added) when chat is on, else a plain text template with
 * {@code {question}}.
 */
public final class Prompts {
    private final Tokenizer tokenizer;
    private final PromptTemplate template;
    private final Function<List<PromptTemplate.ChatTurn>, String> chat; // null: plain template

    public Prompts(Tokenizer tokenizer, PromptTemplate template, Function<List<PromptTemplate.ChatTurn>, String> chat) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.chat = chat;
    }

    public String text(Problem p) {
        return chat == null ? template.render(p) : chat.apply(template.messages(p));
    }

    public int[] encode(Problem p) {
        // a chat template writes its own special tokens (BOS included); a plain prompt gets the tokenizer's
        return tokenizer.encode(text(p), chat == null);
    }
}
