package steerscope.verify;

/**
 * The outcome of one gold/prediction comparison: whether it is correct, the two answers as extracted (null
 * when none was found), how the prediction's answer was found, and a short reason ("equal numbers",
 * "no answer found", "timeout", ...), so a reward can be audited.
 */
public record Verdict(boolean correct, String gold, String predicted, String extractedBy, String reason) {}
