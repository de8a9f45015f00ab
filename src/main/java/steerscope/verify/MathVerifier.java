package steerscope.verify;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one answer verifier of steerscope (reward, evaluation, analyses and the {@code verify} command), with
 * math_verify's semantics: the prediction's answer is extracted from the completion ({@link AnswerText}), the
 * gold answer is the whole gold string (its last {@code \boxed{}} if it has one; the extraction rules if the
 * whole string is not mathematics), both are normalized ({@link TexNormalizer}) and parsed
 * ({@link TexParser}), and compared ({@link Equivalence}). Identical normalized texts are equal without
 * parsing. Every comparison has a time limit; past it the verdict is "incorrect, timeout".
 *
 * <p>Thread-safe and cheap to create: it holds only its settings.
 */
public final class MathVerifier {
    /** math_verify's default {@code float_rounding}: decimals compared when either side is a decimal. */
    public static final int DEFAULT_DIGITS = 6;
    public static final Duration DEFAULT_LIMIT = Duration.ofSeconds(2);
    private static final Pattern EQUALS = Pattern.compile("(?<![<>!\\\\])=");

    private final int digits;
    private final long limitNanos;

    public MathVerifier() {
        this(DEFAULT_DIGITS, DEFAULT_LIMIT);
    }

    public MathVerifier(int digits, Duration limit) {
        if (digits < 0 || limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("digits must be >= 0 and the limit positive");
        }
        this.digits = digits;
        this.limitNanos = limit.toNanos();
    }

    /** The content of the last complete {@code \boxed{}} (with the boxes chained to it), e.g. a solution's answer. */
    public static Optional<String> boxedAnswer(String text) {
        return Optional.ofNullable(text == null ? null : AnswerText.boxed(text));
    }

    /** The answer the prediction rules find in a completion, as written. */
    public Optional<String> extract(String completion, Extraction mode) {
        List<AnswerText.Found> found = AnswerText.find(completion, mode, Targets.LATEX_AND_EXPR);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst().text());
    }

    /** Whether the completion's answer equals the gold answer. */
    public boolean matches(String completion, String gold, Extraction mode) {
        return verify(gold, completion, mode).correct();
    }

    /** Gold against a completion, with the extracted answers and the reason. */
    public Verdict verify(String gold, String completion, Extraction mode) {
        return verify(gold, completion, mode, Targets.LATEX_AND_EXPR, digits);
    }

    /** Gold against an answer that is already extracted (both read whole). */
    public Verdict verifyAnswer(String gold, String predictedAnswer) {
        Budget budget = new Budget(limitNanos);
        try {
            Parsed g = goldAnswer(gold, Targets.LATEX_AND_EXPR, budget);
            if (g == null) {
                return new Verdict(false, null, predictedAnswer, "whole answer", "no gold answer");
            }
            String answer = predictedAnswer == null ? "" : predictedAnswer;
            Parsed p = parseWhole(AnswerText.boxed(answer) != null ? AnswerText.boxed(answer) : answer, false, budget);
            return compare(g, p, "whole answer", digits, budget);
        } catch (Budget.Exceeded e) {
            return new Verdict(false, gold, predictedAnswer, "whole answer", "timeout");
        } catch (StackOverflowError e) {
            return new Verdict(false, gold, predictedAnswer, "whole answer", "nested too deeply");
        } catch (RuntimeException e) {
            return new Verdict(false, gold, predictedAnswer, "whole answer", "internal error: " + e);
        }
    }

    /** The full form, with math_verify's extraction targets and decimals compared (used to measure agreement). */
    public Verdict verify(String gold, String completion, Extraction mode, Targets targets, int roundDigits) {
        Budget budget = new Budget(limitNanos);
        String predText = null;
        String rule = "none";
        try {
            Parsed g = goldAnswer(gold, targets, budget);
            if (g == null) {
                return new Verdict(false, null, null, rule, "no gold answer");
            }
            List<AnswerText.Found> found = AnswerText.find(completion, mode, targets);
            if (found.isEmpty()) {
                return new Verdict(false, g.text, null, rule, "no answer found");
            }
            Parsed p = null;
            for (AnswerText.Found f : found) {
                Parsed candidate = parseWhole(f.text(), f.plain(), budget);
                if (p == null || (p.expr == null && candidate.expr != null)) {
                    p = candidate;
                    predText = f.text();
                    rule = f.rule();
                }
                if (candidate.expr != null) {
                    break;
                }
            }
            return compare(g, p, rule, roundDigits, budget);
        } catch (Budget.Exceeded e) {
            return new Verdict(false, gold, predText, rule, "timeout");
        } catch (StackOverflowError e) {
            return new Verdict(false, gold, predText, rule, "nested too deeply");
        } catch (RuntimeException e) {
            // a reward must not stop a training step; the reason names the bug for `verify` to show
            return new Verdict(false, gold, predText, rule, "internal error: " + e);
        }
    }

    private static Verdict compare(Parsed g, Parsed p, String rule, int roundDigits, Budget budget) {
        if (!p.normalized.isEmpty() && p.normalized.replaceAll("\\s+", " ").equals(g.normalized.replaceAll("\\s+", " "))) {
            return new Verdict(true, g.text, p.text, rule, "same text");
        }
        if (g.expr == null || p.expr == null) {
            return new Verdict(false, g.text, p.text, rule,
                    (g.expr == null ? "gold" : "prediction") + " is not mathematics we read, and the texts differ");
        }
        boolean eq = new Equivalence(roundDigits, budget).equal(g.expr, p.expr);
        return new Verdict(eq, g.text, p.text, rule, eq ? "equivalent" : "not equivalent");
    }

    /**
     * The gold's last box if it has one, else the whole string, else what the extraction rules find. With
     * {@link Targets#EXPR} alone the gold is read as running text, as math_verify's number-only cases do.
     */
    private static Parsed goldAnswer(String gold, Targets targets, Budget budget) {
        if (gold == null || gold.isBlank()) {
            return null;
        }
        String boxed = AnswerText.boxed(gold);
        if (boxed != null) {
            return parseWhole(boxed, false, budget);
        }
        Parsed whole = parseWhole(gold, false, budget);
        if (whole.expr != null && targets != Targets.EXPR) {
            return whole;
        }
        for (AnswerText.Found f : AnswerText.find(gold, Extraction.BOXED_THEN_FALLBACK, targets)) {
            Parsed p = parseWhole(f.text(), f.plain(), budget);
            if (p.expr != null) {
                return p;
            }
        }
        return whole;
    }

    /** An answer text, its normalized form and its parse (null when it does not parse). */
    private record Parsed(String text, String normalized, Expr expr) {}

    private static Parsed parseWhole(String text, boolean plainNumber, Budget budget) {
        String normalized = TexNormalizer.normalize(text, plainNumber);
        if (normalized.isEmpty()) {
            return new Parsed(text, normalized, null);
        }
        try {
            return new Parsed(text, normalized, TexParser.parse(normalized, budget));
        } catch (TexParser.Fail | ArithmeticException | StackOverflowError e) {
            // like math_verify: a chain a = b = c that does not parse is read by its last part
            String[] parts = EQUALS.split(normalized);
            if (parts.length > 2 && !normalized.contains(",") && !normalized.contains(";")) {
                try {
                    return new Parsed(text, normalized, TexParser.parse(parts[parts.length - 1], budget));
                } catch (TexParser.Fail | ArithmeticException | StackOverflowError again) {
                    return new Parsed(text, normalized, null);
                }
            }
            return new Parsed(text, normalized, null);
        }
    }
}
