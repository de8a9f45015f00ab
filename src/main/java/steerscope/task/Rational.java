package steerscope.task;

import java.math.BigInteger;

/** An exact rational number in lowest terms with a positive denominator, so equal values are equal records. */
public record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {
    public static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
    public static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);

    public Rational {
        if (den.signum() == 0) {
            throw new ArithmeticException("zero denominator");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.signum() == 0) {
            den = BigInteger.ONE;
        }
    }

    public static Rational of(long n) {
        return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
    }

    public static Rational of(long n, long d) {
        return new Rational(BigInteger.valueOf(n), BigInteger.valueOf(d));
    }

    /** Exact value of a plain decimal literal such as {@code "3.50"}, {@code ".5"} or {@code "1234"}. */
    public static Rational ofDecimal(String digits) {
        int dot = digits.indexOf('.');
        if (dot < 0) {
            return new Rational(new BigInteger(digits), BigInteger.ONE);
        }
        String whole = digits.substring(0, dot) + digits.substring(dot + 1);
        return new Rational(new BigInteger(whole), BigInteger.TEN.pow(digits.length() - dot - 1));
    }

    public Rational add(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    public Rational subtract(Rational o) {
        return add(o.negate());
    }

    public Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    /** @throws ArithmeticException on division by zero */
    public Rational divide(Rational o) {
        return new Rational(num.multiply(o.den), den.multiply(o.num));
    }

    public Rational negate() {
        return new Rational(num.negate(), den);
    }

    /** @throws ArithmeticException for 0 to a negative power */
    public Rational pow(int e) {
        if (e < 0) {
            return new Rational(den.pow(-e), num.pow(-e));
        }
        return new Rational(num.pow(e), den.pow(e));
    }

    public boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    public int signum() {
        return num.signum();
    }

    @Override
    public int compareTo(Rational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
