package steerscope.task.synth;

/**
 * How a completion answers a problem. Every style ends in the same checkable sentence
 * {@code The answer is \boxed{N}.}; the step-by-step ones first write each single operation as an equation
 * on the running value, opening with a process word ("Step", "To", "First") and using ":" / "=" / newlines.
 * Completions start with a space: they follow a prompt that ends in {@code "Answer:"} (see {@link PromptFormat}).
 *
 * <pre>
 * DIRECT   " The answer is \boxed{9}."
 * STEPS    " Step 1: 7 + 5 = 12.\nStep 2: 12 - 3 = 9.\nThe answer is \boxed{9}."
 * TO_FIND  " To find the answer, first 7 + 5 = 12. Then 12 - 3 = 9. The answer is \boxed{9}."
 * FIRST    " First, 7 + 5 = 12. Next, 12 - 3 = 9. The answer is \boxed{9}."
 * </pre>
 *
 * {@link #OTHER} is only a classification result ({@link Corpus#styleOf}) for text in none of these shapes.
 */
public enum AnswerStyle {
    DIRECT, STEPS, TO_FIND, FIRST, OTHER;

    /** Whether the style works through the single operations before answering. */
    public boolean stepByStep() {
        return this == STEPS || this == TO_FIND || this == FIRST;
    }

    /** The opening every completion of this style starts with; forcing it makes the model use the style. */
    public String opening() {
        return switch (this) {
            case DIRECT -> " The answer is";
            case STEPS -> " Step 1:";
            case TO_FIND -> " To find the answer, first";
            case FIRST -> " First,";
            case OTHER -> throw new IllegalStateException("OTHER has no opening");
        };
    }

    /** The completion text of {@code problem} in this style (with a leading space, without an end marker). */
    public String completion(ArithmeticProblem problem) {
        String answer = finalSentence(problem.answer());
        int n = problem.depth();
        StringBuilder sb = new StringBuilder();
        switch (this) {
            case DIRECT -> sb.append(' ').append(answer);
            case STEPS -> {
                for (int i = 0; i < n; i++) {
                    sb.append(i == 0 ? " " : "\n").append("Step ").append(i + 1).append(": ")
                            .append(problem.equation(i)).append('.');
                }
                sb.append('\n').append(answer);
            }
            case TO_FIND -> {
                sb.append(" To find the answer, first ").append(problem.equation(0)).append('.');
                for (int i = 1; i < n; i++) {
                    sb.append(" Then ").append(problem.equation(i)).append('.');
                }
                sb.append(' ').append(answer);
            }
            case FIRST -> {
                sb.append(" First, ").append(problem.equation(0)).append('.');
                for (int i = 1; i < n; i++) {
                    sb.append(" Next, ").append(problem.equation(i)).append('.');
                }
                sb.append(' ').append(answer);
            }
            case OTHER -> throw new IllegalStateException("OTHER is not a style one can write in");
        }
        return sb.toString();
    }

    /** {@code The answer is \boxed{N}.}: the one final format, read back by {@link PromptFormat#finalAnswer}. */
    public static String finalSentence(int answer) {
        return "The answer is \\boxed{" + answer + "}.";
    }
}
