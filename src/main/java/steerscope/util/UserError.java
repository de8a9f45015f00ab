package steerscope.util;

import java.nio.file.Path;

/**
 * A mistake in the user's input (a file, a flag, a field). The CLI prints its message on one line and exits
 * with status 2, without a stack trace, so the message must name the file, the field and what was expected.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }

    /** Prefixes the message with the file it concerns: {@code "path: message"}. */
    public static UserError inFile(Path file, String message) {
        return new UserError(file + ": " + message);
    }
}
