package steerscope.verify;

/**
 * What the fallback extraction reads (math_verify's extraction targets): LaTeX math regions, plain numbers and
 * arithmetic, or both (the default). math_verify's own regression cases each name theirs.
 */
public enum Targets {
    LATEX_AND_EXPR, LATEX, EXPR
}
