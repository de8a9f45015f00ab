package steerscope.model;

import java.util.Locale;
import steerscope.util.UserError;

/**
 * Where along a sequence the vectors are added. Positions are named by what their output predicts: with a
 * prompt of p tokens, position p-1 (the last prompt token) is the one whose logits give the first generated
 * token. So {@code FIRST} = position p-1 only; {@code GENERATED} = positions p-1 onward (every position that
 * predicts a generated token); {@code PROMPT} = positions 0..p-2 (those that only read the prompt), the
 * complement of GENERATED; {@code ALL} = every position (the paper's recipe).
 */
public enum VectorPositions {
    ALL, GENERATED, FIRST, PROMPT;

    /** Whether the vector is added at position {@code pos} of a sequence whose prompt has {@code promptLen} tokens. */
    public boolean applies(int pos, int promptLen) {
        return switch (this) {
            case ALL -> true;
            case GENERATED -> pos >= promptLen - 1;
            case FIRST -> pos == promptLen - 1;
            case PROMPT -> pos < promptLen - 1;
        };
    }

    public static VectorPositions parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "all" -> ALL;
            case "generated" -> GENERATED;
            case "first" -> FIRST;
            case "prompt" -> PROMPT;
            default -> throw new UserError("--vector-positions: '" + s + "' is not one of all, generated, first, prompt");
        };
    }
}
