package steerscope.verify;

import java.math.BigInteger;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import steerscope.task.Rational;
import steerscope.verify.Expr.Bin;
import steerscope.verify.Expr.Const;
import steerscope.verify.Expr.Fn;
import steerscope.verify.Expr.Neg;
import steerscope.verify.Expr.Num;
import steerscope.verify.Expr.Pct;
import steerscope.verify.Expr.Sym;

/**
 * Values of scalar expressions: exactly over the rationals where the expression is rational (roots of perfect
 * squares included; otherwise {@link NotExact}), else in double precision. Unknown functions ({@code f(x)})
 * get a fixed pseudo-random value per name and argument, so {@code f(2) = f(2)} but {@code f(x) != f(y)}.
 */
final class Evaluate {
    private static final int MAX_EXACT_EXPONENT = 10_000;

    private Evaluate() {}

    static final class NotExact extends RuntimeException {
        NotExact() {
            super(null, null, false, false);
        }
    }

    /** The free variables (and unknown function names) of a scalar expression. */
    static Set<String> symbols(Expr e) {
        Set<String> out = new TreeSet<>();
        collect(e, out);
        return out;
    }

    private static void collect(Expr e, Set<String> out) {
        switch (e) {
            case Sym s -> out.add(s.name());
            case Bin b -> {
                collect(b.a(), out);
                collect(b.b(), out);
            }
            case Neg n -> collect(n.a(), out);
            case Pct p -> collect(p.a(), out);
            case Fn f -> f.args().forEach(a -> collect(a, out));
            default -> { }
        }
    }

    /** Whether a scalar expression is made only of the kinds this class evaluates. */
    static boolean isScalar(Expr e) {
        return switch (e) {
            case Num n -> true;
            case Sym s -> true;
            case Const c -> true;
            case Bin b -> isScalar(b.a()) && isScalar(b.b());
            case Neg n -> isScalar(n.a());
            case Pct p -> isScalar(p.a());
            case Fn f -> f.args().stream().allMatch(Evaluate::isScalar);
            default -> false;
        };
    }

    static Rational exact(Expr e, Map<String, Rational> env, Budget budget) {
        budget.check();
        Rational v = switch (e) {
            case Num n -> n.value();
            case Sym s -> {
                Rational r = env.get(s.name());
                if (r == null) {
                    throw new NotExact();
                }
                yield r;
            }
            case Neg n -> exact(n.a(), env, budget).negate();
            case Pct p -> exact(p.a(), env, budget).divide(Rational.of(100));
            case Bin b -> binary(b, env, budget);
            case Fn f when f.name().equals("sqrt") -> sqrt(exact(f.args().getFirst(), env, budget));
            case Fn f when f.name().equals("abs") -> {
                Rational r = exact(f.args().getFirst(), env, budget);
                yield r.signum() < 0 ? r.negate() : r;
            }
            case Fn f when f.name().equals("factorial") -> factorial(exact(f.args().getFirst(), env, budget));
            default -> throw new NotExact();
        };
        if (v.num().bitLength() > Budget.MAX_BITS || v.den().bitLength() > Budget.MAX_BITS) {
            throw new NotExact();
        }
        return v;
    }

    private static Rational binary(Bin b, Map<String, Rational> env, Budget budget) {
        Rational x = exact(b.a(), env, budget);
        Rational y = exact(b.b(), env, budget);
        try {
            return switch (b.op()) {
                case '+' -> x.add(y);
                case '-' -> x.subtract(y);
                case '*' -> x.multiply(y);
                case '/' -> x.divide(y);
                default -> power(x, y);
            };
        } catch (ArithmeticException zeroDivision) {
            throw new NotExact();
        }
    }

    private static Rational power(Rational x, Rational y) {
        if (!y.isInteger() || y.num().abs().compareTo(BigInteger.valueOf(MAX_EXACT_EXPONENT)) > 0) {
            if (y.equals(Rational.of(1, 2))) {
                return sqrt(x);
            }
            throw new NotExact();
        }
        int n = y.num().intValueExact();
        long bits = (long) Math.max(x.num().bitLength(), x.den().bitLength()) * Math.abs(n);
        if (bits > Budget.MAX_BITS) {
            throw new NotExact();
        }
        return x.pow(n);
    }

    private static Rational sqrt(Rational x) {
        if (x.signum() < 0) {
            throw new NotExact();
        }
        BigInteger n = x.num().sqrt();
        BigInteger d = x.den().sqrt();
        if (!n.multiply(n).equals(x.num()) || !d.multiply(d).equals(x.den())) {
            throw new NotExact();
        }
        return new Rational(n, d);
    }

    private static Rational factorial(Rational x) {
        if (!x.isInteger() || x.signum() < 0 || x.num().compareTo(BigInteger.valueOf(300)) > 0) {
            throw new NotExact();
        }
        BigInteger f = BigInteger.ONE;
        for (int i = 2; i <= x.num().intValue(); i++) {
            f = f.multiply(BigInteger.valueOf(i));
        }
        return new Rational(f, BigInteger.ONE);
    }

    static double approx(Expr e, Map<String, Double> env, Budget budget) {
        budget.check();
        return switch (e) {
            case Num n -> n.value().num().doubleValue() / n.value().den().doubleValue();
            case Sym s -> {
                Double v = env.get(s.name());
                yield v == null ? Double.NaN : v;
            }
            case Const c -> switch (c.name()) {
                case "pi" -> Math.PI;
                case "e" -> Math.E;
                default -> Double.POSITIVE_INFINITY;
            };
            case Neg n -> -approx(n.a(), env, budget);
            case Pct p -> approx(p.a(), env, budget) / 100;
            case Bin b -> {
                double x = approx(b.a(), env, budget);
                double y = approx(b.b(), env, budget);
                yield switch (b.op()) {
                    case '+' -> x + y;
                    case '-' -> x - y;
                    case '*' -> x * y;
                    case '/' -> x / y;
                    default -> x < 0 && y == Math.rint(y) ? StrictMath.pow(x, y) : x < 0 ? realRoot(x, y) : StrictMath.pow(x, y);
                };
            }
            case Fn f -> function(f, env, budget);
            default -> Double.NaN;
        };
    }

    /** (-8)^(1/3) = -2: an odd root of a negative number, as a cube root is written. */
    private static double realRoot(double x, double y) {
        double inv = 1 / y;
        if (Math.abs(inv - Math.rint(inv)) < 1e-9 && ((long) Math.rint(inv)) % 2 != 0) {
            return -StrictMath.pow(-x, y);
        }
        return Double.NaN;
    }

    private static double function(Fn f, Map<String, Double> env, Budget budget) {
        double x = approx(f.args().getFirst(), env, budget);
        return switch (f.name()) {
            case "sqrt" -> Math.sqrt(x);
            case "abs" -> Math.abs(x);
            case "factorial" -> x == Math.rint(x) && x >= 0 && x <= 170 ? gammaInt((int) x) : Double.NaN;
            case "sin" -> StrictMath.sin(x);
            case "cos" -> StrictMath.cos(x);
            case "tan" -> StrictMath.tan(x);
            case "sec" -> 1 / StrictMath.cos(x);
            case "csc" -> 1 / StrictMath.sin(x);
            case "cot" -> 1 / StrictMath.tan(x);
            case "arcsin" -> StrictMath.asin(x);
            case "arccos" -> StrictMath.acos(x);
            case "arctan" -> StrictMath.atan(x);
            case "sinh" -> StrictMath.sinh(x);
            case "cosh" -> StrictMath.cosh(x);
            case "tanh" -> StrictMath.tanh(x);
            case "ln" -> StrictMath.log(x);
            case "log" -> StrictMath.log(x); // like sympy, log without a base is natural
            case "lg" -> StrictMath.log10(x);
            case "exp" -> StrictMath.exp(x);
            case "logb" -> StrictMath.log(approx(f.args().get(1), env, budget)) / StrictMath.log(x);
            default -> unknownFunction(f.name(), f.args().stream().mapToDouble(a -> approx(a, env, budget)).toArray());
        };
    }

    private static double gammaInt(int n) {
        double f = 1;
        for (int i = 2; i <= n; i++) {
            f *= i;
        }
        return f;
    }

    private static double unknownFunction(String name, double[] args) {
        long h = name.hashCode();
        for (double a : args) {
            h = h * 1_000_003L + Math.round(a * 1e9);
        }
        return 1 + new SplittableRandom(h).nextDouble();
    }
}
