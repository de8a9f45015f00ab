package steerscope.rl;

import java.util.ArrayList;
import java.util.List;
import steerscope.task.Problem;
import steerscope.task.PromptTemplate;
import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.Tokenizer;

/**
 * Turns a problem into prompt token ids: the model's chat template (with an optional system prompt) when
 * there is one and chat is on, else a plain text template with {@code {question}}.
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
        if (chat == null) return template.render(p);
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (PromptTemplate.ChatTurn t : template.messages(p)) messages.add(new ChatTemplate.Message(t.role(), t.content()));
        return chat.render(messages, true);
    }

    public int[] encode(Problem p) {
        // a chat template writes its own special tokens (BOS included); a plain prompt gets the tokenizer's
        return tokenizer.encode(text(p), chat == null);
    }
}
