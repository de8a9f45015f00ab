package steerscope.task;

import java.math.BigInteger;
import java.util.Optional;

/**
 * Evaluates a small arithmetic expression exactly over the rationals: numbers (with thousands commas
 * {@code 1,234}, decimals {@code 3.50}, {@code .5}), {@code + - * /}, {@code ^} with an integer exponent,
 * parentheses and TeX groups {@code {}}, {@code \frac{a}{b}} (and {@code \frac12}), {@code \sqrt{x}} when x
 * is a perfect square of a rational, and mixed numbers {@code 3\frac{1}{2}} / {@code 3 1/2}. The input is
 * expected to be normalized already ({@code \times} as {@code *}, no {@code $}, no {@code \left}). Anything
 * else (a variable, {@code \pi}, an irrational root, two numbers side by side) gives empty: the caller then
 * compares as text.
 */
public final class MathExpr {
    private static final int MAX_NUMBER_CHARS = 400;
    private static final int MAX_EXPONENT = 100;
    private static final long MAX_POWER_BITS = 20_000;

    private final String s;
    private int pos;

    private MathExpr(String s) {
        this.s = s;
    }

    public static Optional<Rational> evaluate(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        MathExpr p = new MathExpr(text);
        try {
            Rational v = p.expr();
            p.skipSpaces();
            return p.pos == p.s.length() ? Optional.of(v) : Optional.empty();
        } catch (Fail | ArithmeticException e) {
            return Optional.empty();
        }
    }

    private Rational expr() {
        Rational v = term();
        while (true) {
            skipSpaces();
            if (eat('+')) {
                v = v.add(term());
            } else if (eat('-')) {
                v = v.subtract(term());
            } else {
                return v;
            }
        }
    }

    private Rational term() {
        Rational v = unary();
        while (true) {
            skipSpaces();
            if (eat('*')) {
                v = v.multiply(unary());
            } else if (eat('/')) {
                v = v.divide(unary());
            } else {
                return v;
            }
        }
    }

    private Rational unary() {
        skipSpaces();
        if (eat('-')) {
            return unary().negate();
        }
        if (eat('+')) {
            return unary();
        }
        return power();
    }

    private Rational power() {
        Rational base = primary();
        skipSpaces();
        if (!eat('^')) {
            return base;
        }
        skipSpaces();
        Rational e;
        if (peek() == '{') {
            e = group();
        } else {
            boolean neg = eat('-');
            e = primary();
            e = neg ? e.negate() : e;
        }
        if (!e.isInteger() || e.num().abs().compareTo(BigInteger.valueOf(MAX_EXPONENT)) > 0) {
            throw new Fail();
        }
        int n = e.num().intValueExact();
        long bits = (long) Math.max(base.num().bitLength(), base.den().bitLength()) * Math.abs(n);
        if (bits > MAX_POWER_BITS) {
            throw new Fail();
        }
        return base.pow(n);
    }

    private Rational primary() {
        skipSpaces();
        char c = peek();
        if (c == '(') {
            pos++;
            Rational v = expr();
            skipSpaces();
            expect(')');
            return v;
        }
        if (c == '{') {
            return group();
        }
        if (s.startsWith("\\frac", pos)) {
            pos += 5;
            return fraction();
        }
        if (s.startsWith("\\sqrt", pos)) {
            pos += 5;
            return sqrt(argument());
        }
        if (isDigit(c) || c == '.') {
            return numberWithMixedFraction();
        }
        throw new Fail();
    }

    /** The two arguments of a {@code \frac}, already past the command. */
    private Rational fraction() {
        Rational a = argument();
        Rational b = argument();
        return a.divide(b);
    }

    /** A TeX argument: a braced group, or a single digit as in {@code \frac12}. */
    private Rational argument() {
        skipSpaces();
        if (peek() == '{') {
            return group();
        }
        if (isDigit(peek())) {
            return Rational.of(s.charAt(pos++) - '0');
        }
        throw new Fail();
    }

    private Rational group() {
        expect('{');
        Rational v = expr();
        skipSpaces();
        expect('}');
        return v;
    }

    private static Rational sqrt(Rational x) {
        if (x.signum() < 0) {
            throw new Fail();
        }
        BigInteger n = x.num().sqrt();
        BigInteger d = x.den().sqrt();
        if (!n.multiply(n).equals(x.num()) || !d.multiply(d).equals(x.den())) {
            throw new Fail(); // irrational: leave it to the text comparison
        }
        return new Rational(n, d);
    }

    private Rational numberWithMixedFraction() {
        int start = pos;
        Rational n = number();
        boolean plainInteger = s.substring(start, pos).chars().allMatch(MathExpr::isDigit);
        if (!plainInteger) {
            return n;
        }
        // 3\frac{1}{2}: a mixed number (no operator between an integer and a \frac means addition)
        if (s.startsWith("\\frac", pos)) {
            pos += 5;
            return n.add(properFraction(fraction()));
        }
        // 3 1/2: integer, space, integer/integer
        int save = pos;
        skipSpaces();
        if (pos > save && isDigit(peek())) {
            int numStart = pos;
            while (isDigit(peek())) {
                pos++;
            }
            if (eat('/') && isDigit(peek())) {
                int denStart = pos;
                while (isDigit(peek())) {
                    pos++;
                }
                Rational f = new Rational(new BigInteger(s.substring(numStart, denStart - 1)), new BigInteger(s.substring(denStart, pos)));
                return n.add(properFraction(f));
            }
        }
        pos = save;
        return n;
    }

    private static Rational properFraction(Rational f) {
        if (f.signum() <= 0 || f.compareTo(Rational.ONE) >= 0) {
            throw new Fail();
        }
        return f;
    }

    /** 1234, 1,234,567 (groups of exactly three), 3.50, .5 */
    private Rational number() {
        int start = pos;
        StringBuilder digits = new StringBuilder();
        while (isDigit(peek())) {
            digits.append(s.charAt(pos++));
        }
        if (digits.length() >= 1 && digits.length() <= 3) {
            while (peek() == ',' && isThousandsGroup(pos + 1)) {
                digits.append(s, pos + 1, pos + 4);
                pos += 4;
            }
        }
        if (peek() == '.' && isDigit(peekAt(pos + 1))) {
            digits.append('.');
            pos++;
            while (isDigit(peek())) {
                digits.append(s.charAt(pos++));
            }
        }
        if (digits.isEmpty() || pos - start > MAX_NUMBER_CHARS) {
            throw new Fail();
        }
        return Rational.ofDecimal(digits.toString());
    }

    /** Exactly three digits at i, not followed by another digit. */
    private boolean isThousandsGroup(int i) {
        return isDigit(peekAt(i)) && isDigit(peekAt(i + 1)) && isDigit(peekAt(i + 2)) && !isDigit(peekAt(i + 3));
    }

    private void skipSpaces() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }

    private boolean eat(char c) {
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!eat(c)) {
            throw new Fail();
        }
    }

    private char peek() {
        return peekAt(pos);
    }

    private char peekAt(int i) {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    /** Not an arithmetic expression we can evaluate; cheap to throw (no stack trace). */
    private static final class Fail extends RuntimeException {
        Fail() {
            super(null, null, false, false);
        }
    }
}
