package steerscope.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import steerscope.tokenizer.ChatTemplate;
import steerscope.util.UserError;

/**
 * Turns a {@link Problem} into what the model reads. The template is plain text in which the literal
 * {@code {question}} is replaced by the question (every other character, braces included, is kept as is,
 * so {@code \boxed{}} can appear in it). For chat models {@link #messages} gives the turns (an optional
 * system turn, then the user turn holding the rendered template) for a chat-template renderer to format.
 */
public final class PromptTemplate {
    public static final String PLACEHOLDER = "{question}";
    /** The usual instruction of math RL recipes (Qwen2.5-Math, DeepSeek): it asks for the answer where the checker looks first. */
    public static final String DEFAULT_TEMPLATE =
            "{question}\nPlease reason step by step, and put your final answer within \\boxed{}.";

    private final String template;
    private final String systemPrompt; // null: no system turn

    /**
     * @param template text with one or more {@code {question}} placeholders
     * @param systemPrompt the system turn for chat models, or null for none
     */
    public PromptTemplate(String template, String systemPrompt) {
        Objects.requireNonNull(template, "template");
        if (!template.contains(PLACEHOLDER)) {
            throw new UserError("prompt template must contain " + PLACEHOLDER + ", got: \"" + abbreviate(template) + "\"");
        }
        this.template = template;
        this.systemPrompt = systemPrompt;
    }

    public PromptTemplate(String template) {
        this(template, null);
    }

    public static PromptTemplate defaults() {
        return new PromptTemplate(DEFAULT_TEMPLATE, null);
    }

    public String template() {
        return template;
    }

    /** The plain prompt: the template with the question substituted literally. */
    public String render(Problem problem) {
        return template.replace(PLACEHOLDER, problem.question());
    }

    /** The chat form: [system turn if any,] user turn with {@link #render}. */
    public List<ChatTemplate.Message> messages(Problem problem) {
        List<ChatTemplate.Message> turns = new ArrayList<>(2);
        if (systemPrompt != null) {
            turns.add(new ChatTemplate.Message("system", systemPrompt));
        }
        turns.add(new ChatTemplate.Message("user", render(problem)));
        return List.copyOf(turns);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
