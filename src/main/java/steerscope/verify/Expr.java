package steerscope.verify;

import java.util.List;
import steerscope.task.Rational;

/**
 * A parsed answer: a scalar expression tree, or one of the answer shapes math answers come in (relation
 * chains, tuples, sets, intervals and their unions, matrices, plain text). {@link TexParser} builds it,
 * {@link Equivalence} compares two of them.
 */
sealed interface Expr {
    /** A number as written; {@code decimal} marks a literal with a decimal point (math_verify's Float). */
    record Num(Rational value, boolean decimal) implements Expr {}

    /** A variable, e.g. {@code x}, {@code a_3}, {@code AB}. */
    record Sym(String name) implements Expr {}

    /** {@code \pi}, {@code e}, {@code \infty}. */
    record Const(String name) implements Expr {}

    /** a + b, a - b, a * b, a / b, a ^ b. */
    record Bin(char op, Expr a, Expr b) implements Expr {}

    record Neg(Expr a) implements Expr {}

    /** A function application: sin, cos, ln, log, sqrt, abs, exp, factorial, ... or an unknown f(x). */
    record Fn(String name, List<Expr> args) implements Expr {}

    /** {@code x\%}: stands for x/100 (and, like the old checker, also for x). */
    record Pct(Expr a) implements Expr {}

    /** {@code a \pm b}: the set {a + b, a - b}. */
    record PlusMinus(Expr a, Expr b) implements Expr {}

    /** {@code a op b op c ...}, ops among = < > <= >= != and "in". */
    record Rel(List<Expr> terms, List<String> ops) implements Expr {}

    record Tuple(List<Expr> items) implements Expr {}

    /** A finite set: {@code \{1, 2\}}, or a bare list {@code 1, 2} / {@code 1; 2} / {@code 1 and 2}. */
    record FSet(List<Expr> items) implements Expr {}

    record Interval(Expr lo, Expr hi, boolean loOpen, boolean hiOpen) implements Expr {}

    record Union(List<Expr> parts) implements Expr {}

    record Matrix(List<List<Expr>> rows) implements Expr {}

    /** Words that are not mathematics ({@code \text{Evelyn}}), compared as normalized text. */
    record Text(String text) implements Expr {}
}
