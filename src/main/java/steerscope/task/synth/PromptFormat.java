package steerscope.task.synth;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exact text around a problem, shared by pretraining documents, evaluation and RL so that the model,
 * given a prompt, continues with one of the {@link AnswerStyle}s:
 *
 * <pre>
 * prompt      "Question: What is 7 + 5 - 3?\nAnswer:"
 * completion  " The answer is \boxed{9}."          (or a step-by-step style; always starts with a space)
 * document    prompt + completion                  (the trainer appends the end-of-text token id)
 * </pre>
 *
 * The prompt ends right before the space so that, under a GPT-2/Qwen style BPE, the split between prompt and
 * completion falls on a token boundary: {@code " The"}, {@code " Step"}, {@code " To"}, {@code " First"} are
 * each one word token, and tokenizing {@code prompt + forcedPrefix} gives the same tokens as the document.
 */
public final class PromptFormat {
    private PromptFormat() {}

    /** The end-of-document marker; documents do not contain it, the trainer appends its token id. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** The prompt template; {@code {question}} is the question text (as in the JSONL export). */
    public static final String TEMPLATE = "Question: {question}\nAnswer:";

    public static String prompt(String question) {
        return TEMPLATE.replace("{question}", question);
    }

    public static String prompt(ArithmeticProblem problem) {
        return prompt(problem.question());
    }

    /** A pretraining document: prompt followed by the completion in {@code style}, no end marker. */
    public static String document(ArithmeticProblem problem, AnswerStyle style) {
        return prompt(problem) + style.completion(problem);
    }

    /**
     * Text appended to a prompt to force a style, e.g. {@code " Step 1:"}; measures accuracy "when forced to
     * open step by step". {@code prompt + forcedPrefix(s)} is a prefix of {@code document(problem, s)}.
     */
    public static String forcedPrefix(AnswerStyle style) {
        return style.opening();
    }

    private static final Pattern BOXED = Pattern.compile("\\\\boxed\\{([^}]*)}");
    private static final Pattern INTEGER = Pattern.compile("\\s*(-?\\d{1,9})\\s*");

    /**
     * The integer in the last {@code \boxed{...}} of a completion; empty when there is none or the last one
     * does not hold a plain integer (an earlier box does not count).
     */
    public static OptionalInt finalAnswer(String completion) {
        Matcher m = BOXED.matcher(completion);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        if (last == null) {
            return OptionalInt.empty();
        }
        Matcher n = INTEGER.matcher(last);
        return n.matches() ? OptionalInt.of(Integer.parseInt(n.group(1))) : OptionalInt.empty();
    }
}
