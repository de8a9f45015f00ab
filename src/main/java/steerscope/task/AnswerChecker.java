package steerscope.task;

import java.util.Objects;
import java.util.Optional;
import steerscope.verify.Extraction;
import steerscope.verify.MathVerifier;
import steerscope.verify.Verdict;

/**
 * Decides whether a completion's answer equals a gold answer. It is a thin front of {@link MathVerifier} (the
 * one verifier, with math_verify's semantics: see docs/verifier.md), so the reward, the evaluation, the
 * analyses and the {@code verify} command all judge answers the same way.
 *
 * <p>{@link #matches(String, String)} and {@link #extract(String)} use {@link Extraction#BOXED_THEN_FALLBACK}
 * (the last {@code \boxed{}}, else "final answer is", "answer:", the last math region or number), as this
 * class always did; {@link #matches(String, String, Extraction)} names the mode, e.g.
 * {@link Extraction#BOXED_ONLY} for the paper's reward.
 */
public final class AnswerChecker {
    private final MathVerifier verifier;

    public AnswerChecker() {
        this(new MathVerifier());
    }

    public AnswerChecker(MathVerifier verifier) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
    }

    /** The answer of a completion, as written, by {@link Extraction#BOXED_THEN_FALLBACK}. */
    public Optional<String> extract(String completion) {
        return verifier.extract(completion, Extraction.BOXED_THEN_FALLBACK);
    }

    /** Whether the completion's answer (boxed, else the fallback rules) equals the gold answer. */
    public boolean matches(String completion, String gold) {
        return matches(completion, gold, Extraction.BOXED_THEN_FALLBACK);
    }

    /** Whether the completion's answer, found by {@code mode}, equals the gold answer; false if none is found. */
    public boolean matches(String completion, String gold, Extraction mode) {
        return verifier.matches(completion, gold, mode);
    }

    /** The full verdict: extracted answers, how the answer was found, and why it is (in)correct. */
    public Verdict verdict(String completion, String gold, Extraction mode) {
        return verifier.verify(gold, completion, mode);
    }

    /** Whether an answer that is already extracted equals the gold answer (both read whole). */
    public boolean equivalent(String predicted, String gold) {
        return verifier.verifyAnswer(gold, predicted).correct();
    }
}
