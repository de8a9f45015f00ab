package steerscope.verify;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import steerscope.task.Rational;
import steerscope.verify.Expr.Bin;
import steerscope.verify.Expr.Const;
import steerscope.verify.Expr.FSet;
import steerscope.verify.Expr.Fn;
import steerscope.verify.Expr.Interval;
import steerscope.verify.Expr.Matrix;
import steerscope.verify.Expr.Neg;
import steerscope.verify.Expr.Num;
import steerscope.verify.Expr.Pct;
import steerscope.verify.Expr.PlusMinus;
import steerscope.verify.Expr.Rel;
import steerscope.verify.Expr.Sym;
import steerscope.verify.Expr.Text;
import steerscope.verify.Expr.Tuple;
import steerscope.verify.Expr.Union;

/**
 * math_verify's comparison of a parsed gold answer with a parsed prediction (not symmetric):
 * <ul>
 *   <li>an assignment ({@code x = 5}, {@code (p,q) = (3,2)}: the left side has no numbers) is compared by its
 *       last right side when the other side is not an equation; a predicted equation chain counts by its last
 *       right side against a gold that is not an equation;</li>
 *   <li>numbers: exact over the rationals; when either side is written as a decimal, both are rounded to
 *       {@code digits} decimals first (math_verify's {@code float_rounding}, 6); a percentage stands for its
 *       value or its value over 100;</li>
 *   <li>expressions: equal when they agree at random points of both signs (exactly, with rational points, when
 *       both are rational functions; else in double precision to a relative 1e-9; points where a side is
 *       undefined are skipped); names of variables matter;</li>
 *   <li>equations are equal up to a non-zero factor of (left - right), inequalities up to a positive one
 *       (the direction flipped with a sign: {@code x < 1} is {@code -x > -1});</li>
 *   <li>sets are unordered, tuples ordered, a single answer equals a one-element set; intervals need the same
 *       ends and brackets, an open interval equals a pair; unions compare part by part; a gold inequality in
 *       one variable compares with a predicted set as the interval it describes;</li>
 *   <li>matrices by shape and entries (sums, products and scalar multiples worked out first); words ({@code \text{Evelyn}}, {@code odd}) by letters, case ignored.</li>
 * </ul>
 */
final class Equivalence {
    private static final int POINTS = 6;
    private static final double REL_TOL = 1e-9;

    private final int digits;
    private final Budget budget;

    Equivalence(int digits, Budget budget) {
        this.digits = digits;
        this.budget = budget;
    }

    boolean equal(Expr gold, Expr pred) {
        budget.check();
        gold = matrixValue(gold);
        pred = matrixValue(pred);
        boolean goldEq = isEquation(gold);
        boolean predEq = isEquation(pred);
        boolean goldAssign = isAssignment(gold);
        if (goldAssign) {
            gold = collapse((Rel) gold);
        }
        if (isAssignment(pred)) {
            pred = collapse((Rel) pred);
        }
        if (predEq && !goldEq) {
            pred = lastRhs((Rel) pred);
        } else if (goldAssign && !predEq) {
            gold = lastRhs((Rel) gold);
        }
        if (pred instanceof Rel r && r.ops().size() == 1 && r.ops().getFirst().equals("in")) {
            pred = r.terms().get(1);
        }
        if (gold instanceof Rel r && r.ops().size() == 1 && r.ops().getFirst().equals("in")) {
            gold = r.terms().get(1);
        }
        if (gold.equals(pred)) {
            return true;
        }
        if (gold instanceof Rel g && isSet(pred)) {
            Expr asSet = asInterval(g);
            return asSet != null && equal(asSet, pred);
        }
        if (gold instanceof Rel g && pred instanceof Rel p) {
            return relations(g, p);
        }
        if (gold instanceof Rel || pred instanceof Rel) {
            return false;
        }
        if (gold instanceof Text || pred instanceof Text) {
            return words(gold, pred);
        }
        if (isCollection(gold) || isCollection(pred) || hasPlusMinus(gold) || hasPlusMinus(pred)) {
            return collections(gold, pred);
        }
        if (gold instanceof Matrix g && pred instanceof Matrix p) {
            return matrices(g, p);
        }
        if (!Evaluate.isScalar(gold) || !Evaluate.isScalar(pred)) {
            return false;
        }
        if (onlyLetters(gold) && onlyLetters(pred) && !(gold instanceof Sym && pred instanceof Sym)) {
            if (letters(gold).equalsIgnoreCase(letters(pred))) {
                return true;
            }
        }
        return scalars(gold, pred);
    }

    // ---- scalars ----

    private boolean scalars(Expr g, Expr p) {
        for (Expr gv : percentReadings(g)) {
            for (Expr pv : percentReadings(p)) {
                if (scalarEqual(gv, pv, isDecimal(g) || isDecimal(p))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** x% stands for x/100 and, as the old checker allowed, for x. */
    private static List<Expr> percentReadings(Expr e) {
        if (e instanceof Pct p) {
            return List.of(e, p.a());
        }
        return List.of(e);
    }

    private static boolean isDecimal(Expr e) {
        return switch (e) {
            case Num n -> n.decimal();
            case Neg n -> isDecimal(n.a());
            case Pct p -> isDecimal(p.a());
            default -> false;
        };
    }

    private boolean scalarEqual(Expr g, Expr p, boolean rounded) {
        TreeSet<String> vars = new TreeSet<>(Evaluate.symbols(g));
        vars.addAll(Evaluate.symbols(p));
        if (vars.isEmpty()) {
            if (rounded) {
                BigDecimal a = value(g);
                BigDecimal b = value(p);
                return a != null && b != null && a.setScale(digits, RoundingMode.HALF_EVEN)
                        .compareTo(b.setScale(digits, RoundingMode.HALF_EVEN)) == 0;
            }
            try {
                return Evaluate.exact(g, Map.of(), budget).equals(Evaluate.exact(p, Map.of(), budget));
            } catch (Evaluate.NotExact notRational) {
                return close(Evaluate.approx(g, Map.of(), budget), Evaluate.approx(p, Map.of(), budget));
            }
        }
        return agreeAtPoints(g, p, vars, false);
    }

    private BigDecimal value(Expr e) {
        try {
            Rational r = Evaluate.exact(e, Map.of(), budget);
            return new BigDecimal(r.num()).divide(new BigDecimal(r.den()), new MathContext(40));
        } catch (Evaluate.NotExact notRational) {
            double d = Evaluate.approx(e, Map.of(), budget);
            return Double.isFinite(d) ? new BigDecimal(d) : null;
        }
    }

    private static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return false;
        }
        if (Double.isInfinite(a) || Double.isInfinite(b)) {
            return a == b;
        }
        return Math.abs(a - b) <= REL_TOL * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }

    /**
     * Whether g and p agree at random points; with {@code ratio}, whether g/p is one constant there instead
     * (returned as its sign through {@link #lastRatioSign}).
     */
    private boolean agreeAtPoints(Expr g, Expr p, TreeSet<String> vars, boolean ratio) {
        SplittableRandom rng = new SplittableRandom(0x5eedL);
        int valid = 0;
        double firstRatio = Double.NaN;
        for (int k = 0; k < POINTS * 3 && valid < POINTS; k++) {
            Map<String, Rational> exactEnv = new HashMap<>();
            Map<String, Double> env = new HashMap<>();
            for (String v : vars) {
                // both signs, so |x| != x and \\sqrt{x^2} != x; points where a side is undefined are skipped
                int num = 1 + rng.nextInt(48);
                Rational r = Rational.of(rng.nextBoolean() ? num : -num, 1 + rng.nextInt(12));
                exactEnv.put(v, r);
                env.put(v, r.num().doubleValue() / r.den().doubleValue());
            }
            double a;
            double b;
            boolean exactPoint = false;
            Rational ea = null;
            Rational eb = null;
            try {
                ea = Evaluate.exact(g, exactEnv, budget);
                eb = Evaluate.exact(p, exactEnv, budget);
                exactPoint = true;
                a = ea.num().doubleValue() / ea.den().doubleValue();
                b = eb.num().doubleValue() / eb.den().doubleValue();
            } catch (Evaluate.NotExact notRational) {
                a = Evaluate.approx(g, env, budget);
                b = Evaluate.approx(p, env, budget);
            }
            if (!Double.isFinite(a) || !Double.isFinite(b)) {
                continue;
            }
            valid++;
            if (!ratio) {
                if (exactPoint ? !ea.equals(eb) : !close(a, b)) {
                    return false;
                }
                continue;
            }
            if (b == 0 || a == 0) {
                if (a != b) {
                    return false;
                }
                continue;
            }
            double r = a / b;
            if (Double.isNaN(firstRatio)) {
                firstRatio = r;
            } else if (!close(r, firstRatio)) {
                return false;
            }
        }
        lastRatioSign = Double.isNaN(firstRatio) ? 0 : (int) Math.signum(firstRatio);
        return valid >= Math.min(POINTS, 3);
    }

    /** The sign of the constant ratio found by the last {@code agreeAtPoints(..., ratio = true)}. */
    private int lastRatioSign;

    // ---- relations ----

    private static boolean isEquation(Expr e) {
        return e instanceof Rel r && r.ops().stream().allMatch("="::equals);
    }

    /** x = ..., (p, q) = ..., \frac{NO}{BO} = ...: an equation whose left side has no numbers. */
    private static boolean isAssignment(Expr e) {
        return e instanceof Rel r && isEquation(r) && onlySymbols(r.terms().getFirst());
    }

    private static boolean onlySymbols(Expr e) {
        return switch (e) {
            case Sym s -> true;
            // f(x) (an unknown function has a one-letter name) or |AB|
            case Fn f -> f.name().length() == 1 && f.args().stream().allMatch(Equivalence::onlySymbols)
                    || f.name().equals("abs") && onlySymbols(f.args().getFirst());
            case Bin b -> b.op() != '^' && onlySymbols(b.a()) && onlySymbols(b.b());
            case Tuple t -> t.items().stream().allMatch(Equivalence::onlySymbols);
            default -> false;
        };
    }

    private static Rel collapse(Rel r) {
        return new Rel(List.of(r.terms().getFirst(), r.terms().getLast()), List.of("="));
    }

    private static Expr lastRhs(Rel r) {
        return r.terms().getLast();
    }

    private boolean relations(Rel g, Rel p) {
        if (g.ops().size() != p.ops().size()) {
            return false;
        }
        for (int i = 0; i < g.ops().size(); i++) {
            Expr gl = g.terms().get(i);
            Expr gr = g.terms().get(i + 1);
            Expr pl = p.terms().get(i);
            Expr pr = p.terms().get(i + 1);
            if (!relation(g.ops().get(i), gl, gr, p.ops().get(i), pl, pr)) {
                return false;
            }
        }
        return true;
    }

    private boolean relation(String gop, Expr gl, Expr gr, String pop, Expr pl, Expr pr) {
        if (!Evaluate.isScalar(gl) || !Evaluate.isScalar(gr) || !Evaluate.isScalar(pl) || !Evaluate.isScalar(pr)) {
            return gop.equals(pop) && equal(gl, pl) && equal(gr, pr);
        }
        // canonical form: small op big, with op among = != < <=
        Expr gd = difference(gop, gl, gr);
        Expr pd = difference(pop, pl, pr);
        String gk = kind(gop);
        String pk = kind(pop);
        if (!gk.equals(pk)) {
            return false;
        }
        TreeSet<String> vars = new TreeSet<>(Evaluate.symbols(gd));
        vars.addAll(Evaluate.symbols(pd));
        if (vars.isEmpty()) {
            return scalars(gl, pl) && scalars(gr, pr);
        }
        if (!agreeAtPoints(gd, pd, vars, true) || lastRatioSign == 0) {
            return false;
        }
        return gk.equals("=") || gk.equals("!=") || lastRatioSign > 0;
    }

    /** big - small for an inequality, left - right otherwise. */
    private static Expr difference(String op, Expr l, Expr r) {
        return op.startsWith(">") ? new Bin('-', l, r) : new Bin('-', r, l);
    }

    private static String kind(String op) {
        return switch (op) {
            case ">", "<" -> "<";
            case ">=", "<=" -> "<=";
            default -> op;
        };
    }

    /** {@code a < x <= b}, {@code x > a}, {@code a >= x}: the interval, or null if it is not of that shape. */
    private Expr asInterval(Rel r) {
        Const inf = new Const("inf");
        if (r.ops().size() == 2 && !r.terms().get(1).equals(r.terms().get(0))) {
            String o1 = r.ops().get(0);
            String o2 = r.ops().get(1);
            if (o1.startsWith("<") && o2.startsWith("<") && onlySymbols(r.terms().get(1))) {
                return new Interval(r.terms().get(0), r.terms().get(2), o1.equals("<"), o2.equals("<"));
            }
            if (o1.startsWith(">") && o2.startsWith(">") && onlySymbols(r.terms().get(1))) {
                return new Interval(r.terms().get(2), r.terms().get(0), o2.equals(">"), o1.equals(">"));
            }
            return null;
        }
        if (r.ops().size() != 1) {
            return null;
        }
        String op = r.ops().getFirst();
        Expr l = r.terms().get(0);
        Expr rt = r.terms().get(1);
        if (!onlySymbols(l)) {
            if (!onlySymbols(rt)) {
                return null;
            }
            op = switch (op) {
                case "<" -> ">";
                case ">" -> "<";
                case "<=" -> ">=";
                case ">=" -> "<=";
                default -> op;
            };
            Expr t = l;
            l = rt;
            rt = t;
        }
        return switch (op) {
            case "<" -> new Interval(new Neg(inf), rt, true, true);
            case "<=" -> new Interval(new Neg(inf), rt, true, false);
            case ">" -> new Interval(rt, inf, true, true);
            case ">=" -> new Interval(rt, inf, false, true);
            default -> null;
        };
    }

    // ---- sets, tuples, intervals ----

    private static boolean isSet(Expr e) {
        return e instanceof FSet || e instanceof Interval || e instanceof Union || e instanceof Tuple;
    }

    private static boolean isCollection(Expr e) {
        return e instanceof FSet || e instanceof Tuple || e instanceof Interval || e instanceof Union;
    }

    private boolean collections(Expr g, Expr p) {
        if (g instanceof Interval gi && p instanceof Interval pi) {
            return gi.loOpen() == pi.loOpen() && gi.hiOpen() == pi.hiOpen()
                    && equal(gi.lo(), pi.lo()) && equal(gi.hi(), pi.hi());
        }
        if (g instanceof Union gu && p instanceof Union pu) {
            return ordered(gu.parts(), pu.parts());
        }
        if (g instanceof Interval gi && p instanceof Tuple pt) {
            return gi.loOpen() && gi.hiOpen() && ordered(List.of(gi.lo(), gi.hi()), pt.items());
        }
        if (p instanceof Interval pi && g instanceof Tuple gt) {
            return pi.loOpen() && pi.hiOpen() && ordered(gt.items(), List.of(pi.lo(), pi.hi()));
        }
        if (g instanceof Interval || p instanceof Interval || g instanceof Union || p instanceof Union) {
            return false;
        }
        if (g instanceof Tuple gt && p instanceof Tuple pt) {
            return ordered(gt.items(), pt.items());
        }
        List<Expr> gs = elements(g);
        List<Expr> ps = elements(p);
        if (g instanceof Tuple || p instanceof Tuple) {
            return ordered(gs, ps);
        }
        return unordered(gs, ps);
    }

    /** The elements a set-like answer stands for, with each {@code a \pm b} as two elements. */
    private static List<Expr> elements(Expr e) {
        List<Expr> items = e instanceof FSet s ? s.items() : e instanceof Tuple t ? t.items() : List.of(e);
        List<Expr> out = new ArrayList<>();
        for (Expr item : items) {
            for (Expr x : expandPlusMinus(item)) {
                if (!(e instanceof FSet && out.contains(x))) {
                    out.add(x); // a set holds each element once
                }
            }
        }
        return out;
    }

    private static boolean hasPlusMinus(Expr e) {
        return expandPlusMinus(e).size() > 1;
    }

    private static List<Expr> expandPlusMinus(Expr e) {
        return switch (e) {
            case PlusMinus pm -> {
                List<Expr> out = new ArrayList<>();
                for (Expr a : expandPlusMinus(pm.a())) {
                    for (Expr b : expandPlusMinus(pm.b())) {
                        out.add(new Bin('+', a, b));
                        out.add(new Bin('-', a, b));
                    }
                }
                yield out;
            }
            case Bin b -> {
                List<Expr> out = new ArrayList<>();
                for (Expr x : expandPlusMinus(b.a())) {
                    for (Expr y : expandPlusMinus(b.b())) {
                        out.add(new Bin(b.op(), x, y));
                    }
                }
                yield out;
            }
            case Neg n -> expandPlusMinus(n.a()).stream().<Expr>map(Neg::new).toList();
            case Fn f when f.args().size() == 1 ->
                    expandPlusMinus(f.args().getFirst()).stream().<Expr>map(a -> new Fn(f.name(), List.of(a))).toList();
            default -> List.of(e);
        };
    }

    private boolean ordered(List<Expr> g, List<Expr> p) {
        if (g.size() != p.size()) {
            return false;
        }
        for (int i = 0; i < g.size(); i++) {
            if (!equal(g.get(i), p.get(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean unordered(List<Expr> g, List<Expr> p) {
        if (g.size() != p.size()) {
            return false;
        }
        boolean[] used = new boolean[p.size()];
        for (Expr ge : g) {
            boolean found = false;
            for (int j = 0; j < p.size() && !found; j++) {
                if (!used[j] && equal(ge, p.get(j))) {
                    used[j] = true;
                    found = true;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private boolean matrices(Matrix g, Matrix p) {
        if (g.rows().size() != p.rows().size() || g.rows().getFirst().size() != p.rows().getFirst().size()) {
            return false;
        }
        for (int i = 0; i < g.rows().size(); i++) {
            if (!ordered(g.rows().get(i), p.rows().get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Sums, differences, products and scalar multiples of matrices, worked out entry by entry; else e itself. */
    private static Expr matrixValue(Expr e) {
        if (e instanceof Neg n && matrixValue(n.a()) instanceof Matrix m) {
            return map(m, x -> new Neg(x));
        }
        if (!(e instanceof Bin b) || b.op() == '^' || b.op() == '/') {
            return e;
        }
        Expr x = matrixValue(b.a());
        Expr y = matrixValue(b.b());
        if (x instanceof Matrix m && y instanceof Matrix n) {
            int rows = m.rows().size();
            int inner = m.rows().getFirst().size();
            int cols = n.rows().getFirst().size();
            if (b.op() == '*') {
                if (inner != n.rows().size()) {
                    return e;
                }
                List<List<Expr>> out = new ArrayList<>();
                for (int i = 0; i < rows; i++) {
                    List<Expr> row = new ArrayList<>();
                    for (int j = 0; j < cols; j++) {
                        Expr sum = new Bin('*', m.rows().get(i).getFirst(), n.rows().getFirst().get(j));
                        for (int k = 1; k < inner; k++) {
                            sum = new Bin('+', sum, new Bin('*', m.rows().get(i).get(k), n.rows().get(k).get(j)));
                        }
                        row.add(sum);
                    }
                    out.add(row);
                }
                return new Matrix(out);
            }
            if (rows != n.rows().size() || inner != cols) {
                return e;
            }
            List<List<Expr>> out = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                List<Expr> row = new ArrayList<>();
                for (int j = 0; j < cols; j++) {
                    row.add(new Bin(b.op(), m.rows().get(i).get(j), n.rows().get(i).get(j)));
                }
                out.add(row);
            }
            return new Matrix(out);
        }
        if (b.op() == '*' && x instanceof Matrix m && Evaluate.isScalar(y)) {
            return map(m, v -> new Bin('*', v, y));
        }
        if (b.op() == '*' && y instanceof Matrix n && Evaluate.isScalar(x)) {
            return map(n, v -> new Bin('*', x, v));
        }
        return e;
    }

    private static Matrix map(Matrix m, UnaryOperator<Expr> f) {
        List<List<Expr>> out = new ArrayList<>();
        for (List<Expr> row : m.rows()) {
            out.add(row.stream().map(f).toList());
        }
        return new Matrix(out);
    }

    // ---- words ----

    private static boolean words(Expr g, Expr p) {
        String a = wordsOf(g);
        String b = wordsOf(p);
        return a != null && a.equals(b);
    }

    private static String wordsOf(Expr e) {
        if (e instanceof Text t) {
            String s = t.text().replaceAll("\\s+", " ").strip().toLowerCase(Locale.ROOT);
            return s.matches("\\([a-z]\\)") ? s.substring(1, 2) : s;
        }
        if (onlyLetters(e)) {
            return letters(e).toLowerCase(Locale.ROOT);
        }
        return null;
    }

    /** A product of letters, as a word like {@code odd} parses. */
    private static boolean onlyLetters(Expr e) {
        return switch (e) {
            case Sym s -> s.name().chars().allMatch(Character::isLetter);
            case Const c -> c.name().equals("e");
            case Bin b -> b.op() == '*' && onlyLetters(b.a()) && onlyLetters(b.b());
            default -> false;
        };
    }

    private static String letters(Expr e) {
        return switch (e) {
            case Sym s -> s.name();
            case Const c -> "e";
            case Bin b -> letters(b.a()) + letters(b.b());
            default -> "";
        };
    }
}
