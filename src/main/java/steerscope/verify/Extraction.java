package steerscope.verify;

/**
 * Where a completion's answer is looked for. {@link #BOXED_ONLY} is the paper's reward (no box, no answer);
 * {@link #BOXED_THEN_FALLBACK} also reads "final answer is ...", "answer: ...", the last LaTeX math region or
 * the last plain number/expression, as math_verify does for evaluation.
 */
public enum Extraction {
    BOXED_ONLY,
    BOXED_THEN_FALLBACK
}
