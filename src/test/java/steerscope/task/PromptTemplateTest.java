package steerscope.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import steerscope.tokenizer.ChatTemplate.Message;
import steerscope.util.UserError;

class PromptTemplateTest {
    private final Problem problem = new Problem("1", "What is $2+3$? (costs \\$5)", "5");

    @Test
    void defaultTemplateAsksForABoxedAnswer() {
        String prompt = PromptTemplate.defaults().render(problem);
        assertTrue(prompt.startsWith("What is $2+3$? (costs \\$5)\n"), prompt);
        assertTrue(prompt.contains("\\boxed{}"), prompt);
    }

    @Test
    void questionIsSubstitutedLiterally() {
        // $ and \ in the question must not be read as regex replacement syntax
        PromptTemplate t = new PromptTemplate("Q: {question}\nA:");
        assertEquals("Q: What is $2+3$? (costs \\$5)\nA:", t.render(problem));
    }

    @Test
    void everyPlaceholderIsReplacedAndOtherBracesKept() {
        PromptTemplate t = new PromptTemplate("{question} | {question} | {x} \\boxed{}");
        String q = problem.question();
        assertEquals(q + " | " + q + " | {x} \\boxed{}", t.render(problem));
    }

    @Test
    void chatFormHasOptionalSystemTurn() {
        PromptTemplate plain = new PromptTemplate("{question}");
        assertEquals(List.of(new Message("user", problem.question())), plain.messages(problem));

        PromptTemplate withSystem = new PromptTemplate("Solve: {question}", "You are a careful mathematician.");
        assertEquals(List.of(
                        new Message("system", "You are a careful mathematician."),
                        new Message("user", "Solve: " + problem.question())),
                withSystem.messages(problem));
    }

    @Test
    void templateWithoutPlaceholderIsAUserError() {
        UserError e = assertThrows(UserError.class, () -> new PromptTemplate("Solve this."));
        assertTrue(e.getMessage().contains("{question}"), e.getMessage());
    }
}
