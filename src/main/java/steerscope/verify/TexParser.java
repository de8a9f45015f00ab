package steerscope.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
 * Recursive-descent parser from normalized LaTeX or plain math ({@link TexNormalizer#normalize}) to {@link Expr}.
 * Precedence, loosest first: list ({@code ,} {@code ;}), relation chain, {@code \cup}, sum ({@code + - \pm}),
 * product (also implicit: {@code 2x}, {@code 3\sqrt{2}}), unary minus, power, postfix ({@code ! % _}).
 * Brackets: {@code (a)} groups, {@code (a, b)} is a tuple, {@code [a, b)} / {@code (a, b]} / {@code [a, b]}
 * are intervals, {@code \{a, b\}} a set. Single letters are variables ({@code xy} is x*y), so a word parses
 * as a product of letters, which {@link Equivalence} can still compare with text.
 */
final class TexParser {
    /** Letters read as an unknown function when followed by "(", as in f(x) = 1. */
    private static final Set<String> FUNCTION_LETTERS = Set.of("f", "g", "h", "F", "G", "H", "P", "Q", "W");
    private static final Set<String> FUNCTIONS = Set.of("sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos",
            "arctan", "sinh", "cosh", "tanh", "ln", "log", "exp", "lg");

    private static final Set<String> GREEK = Set.of("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon",
            "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
            "upsilon", "phi", "varphi", "chi", "psi", "omega");

    private final String s;
    private final Budget budget;
    private final int[] nodes; // shared with the parsers of sub-groups
    private int pos;
    private int depth;

    private TexParser(String s, Budget budget, int[] nodes) {
        this.s = s;
        this.budget = budget;
        this.nodes = nodes;
    }

    static final class Fail extends RuntimeException {
        Fail(String message) {
            super(message, null, false, false);
        }
    }

    /** The whole string as one answer; throws {@link Fail} when it is not mathematics we can read. */
    static Expr parse(String text, Budget budget) {
        TexParser p = new TexParser(text, budget, new int[1]);
        Expr e = p.list();
        p.skipSpaces();
        if (p.pos != p.s.length()) {
            throw new Fail("unexpected '" + p.s.charAt(p.pos) + "' at " + p.pos);
        }
        return e;
    }

    /**
     * {@code a, b; c, d}: a list; when ";" separates groups that have commas inside, each group is one tuple
     * ({@code p=5,q=2;p=7,q=2} is the set of two solutions), otherwise ";" is a comma.
     */
    private Expr list() {
        List<List<Expr>> groups = new ArrayList<>();
        List<Expr> group = new ArrayList<>();
        group.add(relation());
        while (true) {
            boolean semicolon;
            if (eat(",")) {
                semicolon = false;
            } else if (eat(";")) {
                semicolon = true;
            } else {
                break;
            }
            skipSpaces();
            if (atEnd() || peekCloser()) {
                break; // trailing separator
            }
            if (semicolon) {
                groups.add(group);
                group = new ArrayList<>();
            }
            group.add(relation());
        }
        groups.add(group);
        List<Expr> items = new ArrayList<>();
        boolean tuples = groups.size() > 1 && groups.stream().allMatch(g -> g.size() > 1);
        for (List<Expr> g : groups) {
            if (tuples) {
                items.add(new Tuple(g));
            } else {
                items.addAll(g);
            }
        }
        return items.size() == 1 ? items.getFirst() : new FSet(items);
    }

    private Expr relation() {
        List<Expr> terms = new ArrayList<>();
        List<String> ops = new ArrayList<>();
        terms.add(union());
        while (true) {
            String op = relOp();
            if (op == null) {
                break;
            }
            ops.add(op);
            terms.add(union());
        }
        return ops.isEmpty() ? terms.getFirst() : new Rel(terms, ops);
    }

    private String relOp() {
        skipSpaces();
        for (String op : new String[] {"<=", ">=", "!=", "=", "<", ">"}) {
            if (s.startsWith(op, pos)) {
                pos += op.length();
                return op;
            }
        }
        if (command("in")) {
            return "in";
        }
        return null;
    }

    private Expr union() {
        List<Expr> parts = new ArrayList<>();
        parts.add(sum());
        while (command("cup")) {
            parts.add(sum());
        }
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        List<Expr> sets = new ArrayList<>();
        for (Expr p : parts) {
            sets.add(p instanceof Tuple t && t.items().size() == 2
                    ? new Interval(t.items().get(0), t.items().get(1), true, true) : p);
        }
        return new Union(sets);
    }

    private Expr sum() {
        Expr v = product();
        while (true) {
            skipSpaces();
            if (eat("+")) {
                v = new Bin('+', v, product());
            } else if (peek('-') && !s.startsWith("->", pos)) {
                pos++;
                v = new Bin('-', v, product());
            } else if (command("pm")) {
                v = new PlusMinus(v, product());
            } else if (command("mp")) {
                v = new PlusMinus(v, new Neg(product()));
            } else {
                return v;
            }
        }
    }

    private Expr product() {
        Expr v = unary();
        while (true) {
            skipSpaces();
            if (eat("*")) {
                v = new Bin('*', v, unary());
            } else if (eat("/") || eat(":")) {
                v = new Bin('/', v, unary());
            } else if (startsPrimary()) {
                v = new Bin('*', v, power());
            } else {
                return v;
            }
        }
    }

    private Expr unary() {
        skipSpaces();
        if (eat("-")) {
            return new Neg(unary());
        }
        if (eat("+")) {
            return unary();
        }
        return power();
    }

    private Expr power() {
        Expr base = postfix(primary());
        skipSpaces();
        if (eat("^")) {
            Expr exp = script();
            return postfix(new Bin('^', base, exp));
        }
        return base;
    }

    /** A superscript: a braced group, or one character / command / signed number. */
    private Expr script() {
        skipSpaces();
        if (peek('{')) {
            return primary();
        }
        if (eat("-")) {
            return new Neg(script());
        }
        if (Character.isDigit(cur())) {
            return singleDigit();
        }
        return primary();
    }

    private Expr singleDigit() {
        return new Num(Rational.of(s.charAt(pos++) - '0'), false);
    }

    private Expr postfix(Expr e) {
        while (true) {
            if (eat("!")) {
                e = new Fn("factorial", List.of(e));
            } else if (eat("%")) {
                e = new Pct(e);
            } else if (peek('_')) {
                pos++;
                String sub = subscriptText();
                e = new Sym(render(e) + "_" + sub);
            } else if (peek('\'')) {
                pos++;
                e = new Sym(render(e) + "'");
            } else {
                return e;
            }
        }
    }

    private String subscriptText() {
        skipSpaces();
        if (peek('{')) {
            int close = closing(pos, '{', '}');
            String t = s.substring(pos + 1, close).replace(" ", "");
            pos = close + 1;
            return t;
        }
        if (atEnd()) {
            throw new Fail("empty subscript");
        }
        if (peek('\\')) {
            int start = pos;
            pos++;
            while (!atEnd() && Character.isLetter(cur())) {
                pos++;
            }
            return s.substring(start, pos);
        }
        return String.valueOf(s.charAt(pos++));
    }

    private static String render(Expr e) {
        return switch (e) {
            case Sym y -> y.name();
            case Num n -> n.value().toString();
            default -> e.toString();
        };
    }

    private boolean startsPrimary() {
        if (atEnd()) {
            return false;
        }
        char c = cur();
        if (Character.isLetterOrDigit(c) || c == '(' || c == '{' || c == '.') {
            return true;
        }
        if (c == '[') {
            return false; // "[a, b]" after an expression is not a factor
        }
        if (c == '\\') {
            String name = peekCommandName();
            return !(name.equals("cup") || name.equals("pm") || name.equals("mp") || name.equals("in")
                    || name.equals("end") || name.equals("right") || name.equals("}") || name.equals("\\")
                    || name.equals("cap") || name.equals("setminus"));
        }
        return false;
    }

    private Expr primary() {
        budget.check();
        if (++nodes[0] > Budget.MAX_NODES) {
            throw new Fail("more than " + Budget.MAX_NODES + " nodes");
        }
        if (++depth > Budget.MAX_DEPTH) {
            throw new Fail("nested too deeply");
        }
        try {
            return primaryInner();
        } finally {
            depth--;
        }
    }

    private Expr primaryInner() {
        skipSpaces();
        if (atEnd()) {
            throw new Fail("expression ends early");
        }
        char c = cur();
        if (Character.isDigit(c) || (c == '.' && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1)))) {
            return number();
        }
        if (Character.isLetter(c)) {
            pos++;
            String name = String.valueOf(c);
            if (FUNCTION_LETTERS.contains(name) && peek('(')) {
                return new Fn(name, bracketArgs());
            }
            return name.equals("e") ? new Const("e") : new Sym(name);
        }
        if (c == '(' || c == '[') {
            return bracketed();
        }
        if (c == '{') {
            int close = closing(pos, '{', '}');
            Expr inner = sub(s.substring(pos + 1, close));
            pos = close + 1;
            return inner;
        }
        if (c == '|') {
            pos++;
            Expr inner = sum();
            expect("|");
            return new Fn("abs", List.of(inner));
        }
        if (c == '\\') {
            return commandPrimary();
        }
        throw new Fail("unexpected '" + c + "'");
    }

    private Expr number() {
        int start = pos;
        while (!atEnd() && Character.isDigit(cur())) {
            pos++;
        }
        boolean decimal = false;
        if (!atEnd() && cur() == '.' && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1))) {
            decimal = true;
            pos++;
            while (!atEnd() && Character.isDigit(cur())) {
                pos++;
            }
        }
        String digits = s.substring(start, pos);
        if (digits.length() > 2000) {
            throw new Fail("number too long");
        }
        return new Num(Rational.ofDecimal(digits.startsWith(".") ? "0" + digits : digits), decimal);
    }

    /** ( ... ) or [ ... ] with a matching ) or ]: a group, a tuple or an interval. */
    private Expr bracketed() {
        char open = s.charAt(pos++);
        List<Expr> items = new ArrayList<>();
        skipSpaces();
        items.add(relation());
        while (eat(",") || eat(";")) {
            items.add(relation());
        }
        skipSpaces();
        if (atEnd()) {
            throw new Fail("unclosed " + open);
        }
        char close = s.charAt(pos++);
        if (close != ')' && close != ']') {
            throw new Fail("expected ) or ] but found " + close);
        }
        if (items.size() == 1) {
            if (open == '(' && close == ')' || open == '[' && close == ']') {
                return items.getFirst();
            }
            throw new Fail("unbalanced brackets");
        }
        if (open == '(' && close == ')') {
            return new Tuple(items);
        }
        if (items.size() != 2) {
            throw new Fail("an interval has two ends");
        }
        return new Interval(items.get(0), items.get(1), open == '(', close == ')');
    }

    private List<Expr> bracketArgs() {
        int close = closing(pos, '(', ')');
        Expr inner = sub(s.substring(pos + 1, close));
        pos = close + 1;
        return inner instanceof FSet f ? f.items() : List.of(inner);
    }

    private Expr commandPrimary() {
        int start = pos;
        String name = readCommandName();
        switch (name) {
            case "frac" -> {
                Expr num = argument();
                Expr den = argument();
                return new Bin('/', num, den);
            }
            case "sqrt" -> {
                skipSpaces();
                Expr index = null;
                if (peek('[')) {
                    int close = closing(pos, '[', ']');
                    index = sub(s.substring(pos + 1, close));
                    pos = close + 1;
                }
                Expr radicand = argument();
                return index == null ? new Fn("sqrt", List.of(radicand))
                        : new Bin('^', radicand, new Bin('/', new Num(Rational.ONE, false), index));
            }
            case "pi" -> {
                return new Const("pi");
            }
            case "infty", "infinity" -> {
                return new Const("inf");
            }
            case "{" -> {
                int close = closingEscapedBrace(start);
                Expr inner = sub(s.substring(pos, close));
                pos = close + 2;
                return inner instanceof FSet f ? f : new FSet(List.of(inner));
            }
            case "emptyset", "varnothing" -> {
                return new FSet(List.of());
            }
            case "text" -> {
                int close = closing(pos, '{', '}');
                String t = s.substring(pos + 1, close).strip();
                pos = close + 1;
                return new Text(t);
            }
            case "begin" -> {
                return matrix();
            }
            default -> {
                if (FUNCTIONS.contains(name)) {
                    return function(name);
                }
                if (GREEK.contains(name.toLowerCase(Locale.ROOT))) {
                    return new Sym(name);
                }
                throw new Fail("unknown command \\" + name);
            }
        }
    }

    /** sin x, \sin(x), \sin^2 x, \log_2 8, \ln{x}: a power applies to the value, as in \tan^2(y). */
    private Expr function(String name) {
        Expr base = null;
        skipSpaces();
        if (name.equals("log") && eat("_")) {
            base = script();
        }
        Expr power = null;
        skipSpaces();
        if (eat("^")) {
            power = script();
        }
        skipSpaces();
        Expr arg;
        if (peek('(')) {
            List<Expr> args = bracketArgs();
            if (args.size() != 1) {
                throw new Fail(name + " takes one argument");
            }
            arg = args.getFirst();
        } else {
            arg = power();
        }
        Expr v = base == null ? new Fn(name, List.of(arg)) : new Fn("logb", List.of(base, arg));
        return power == null ? v : new Bin('^', v, power);
    }

    /** A command argument: a braced group or a single character ({@code \frac12}, {@code \sqrt3}). */
    private Expr argument() {
        skipSpaces();
        if (atEnd()) {
            throw new Fail("missing argument");
        }
        if (peek('{')) {
            int close = closing(pos, '{', '}');
            Expr inner = sub(s.substring(pos + 1, close));
            pos = close + 1;
            return inner;
        }
        if (Character.isDigit(cur())) {
            return singleDigit();
        }
        if (Character.isLetter(cur())) {
            return new Sym(String.valueOf(s.charAt(pos++)));
        }
        return primary();
    }

    private Expr matrix() {
        int close = closing(pos, '{', '}');
        String env = s.substring(pos + 1, close);
        pos = close + 1;
        if (env.equals("array")) {
            skipSpaces();
            if (peek('{')) {
                pos = closing(pos, '{', '}') + 1; // column spec
            }
        } else if (!env.endsWith("matrix")) {
            throw new Fail("unsupported environment " + env);
        }
        String end = "\\end{" + env + "}";
        int stop = s.indexOf(end, pos);
        if (stop < 0) {
            throw new Fail("unclosed " + env);
        }
        String body = s.substring(pos, stop);
        pos = stop + end.length();
        List<List<Expr>> rows = new ArrayList<>();
        for (String row : body.split("\\\\\\\\")) {
            if (row.isBlank()) {
                continue;
            }
            List<Expr> cells = new ArrayList<>();
            for (String cell : row.split("&")) {
                cells.add(sub(cell));
            }
            rows.add(cells);
        }
        if (rows.isEmpty() || rows.stream().anyMatch(r -> r.size() != rows.getFirst().size())) {
            throw new Fail("ragged matrix");
        }
        return new Matrix(rows);
    }

    private Expr sub(String text) {
        if (text.isBlank()) {
            throw new Fail("empty group");
        }
        TexParser p = new TexParser(text, budget, nodes);
        p.depth = depth;
        Expr e = p.list();
        p.skipSpaces();
        if (p.pos != text.length()) {
            throw new Fail("unexpected '" + text.charAt(p.pos) + "'");
        }
        return e;
    }

    // ---- low-level scanning ----

    private String readCommandName() {
        pos++; // the backslash
        if (atEnd()) {
            throw new Fail("lone backslash");
        }
        int start = pos;
        if (!Character.isLetter(cur())) {
            pos++;
            return s.substring(start, pos);
        }
        while (!atEnd() && Character.isLetter(cur())) {
            pos++;
        }
        return s.substring(start, pos);
    }

    private String peekCommandName() {
        int save = pos;
        String name = readCommandName();
        pos = save;
        return name;
    }

    /** Consumes {@code \name} (not a longer command) if it is next. */
    private boolean command(String name) {
        skipSpaces();
        if (!s.startsWith("\\" + name, pos)) {
            return false;
        }
        int end = pos + 1 + name.length();
        if (end < s.length() && Character.isLetter(s.charAt(end))) {
            return false;
        }
        pos = end;
        return true;
    }

    private int closing(int open, char o, char c) {
        int k = matching(s, open, o, c);
        if (k < 0) {
            throw new Fail("unclosed " + o);
        }
        return k;
    }

    /** Index of the {@code c} closing the {@code o} at {@code open}, or -1; escaped characters are skipped. */
    static int matching(String text, int open, char o, char c) {
        int d = 0;
        for (int k = open; k < text.length(); k++) {
            char ch = text.charAt(k);
            if (ch == '\\') {
                k++;
            } else if (ch == o) {
                d++;
            } else if (ch == c && --d == 0) {
                return k;
            }
        }
        return -1;
    }

    /** Index of the {@code \}} closing the {@code \{} at {@code open}. */
    private int closingEscapedBrace(int open) {
        int d = 0;
        for (int k = open; k + 1 < s.length(); k++) {
            if (s.charAt(k) == '\\') {
                char n = s.charAt(k + 1);
                if (n == '{') {
                    d++;
                } else if (n == '}' && --d == 0) {
                    return k;
                }
                k++;
            }
        }
        throw new Fail("unclosed \\{");
    }

    private boolean peekCloser() {
        char c = cur();
        return c == ')' || c == ']' || c == '}';
    }

    private void expect(String t) {
        skipSpaces();
        if (!eat(t)) {
            throw new Fail("expected " + t);
        }
    }

    private boolean eat(String t) {
        skipSpaces();
        if (s.startsWith(t, pos)) {
            pos += t.length();
            return true;
        }
        return false;
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private char cur() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private boolean atEnd() {
        return pos >= s.length();
    }

    private void skipSpaces() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }
}
