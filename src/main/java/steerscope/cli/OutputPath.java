package steerscope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import steerscope.io.IoErrors;
import steerscope.util.UserError;

/**
 * The one rule for {@code --out}, checked before a command creates anything: it may be new, empty, or a previous
 * output of the same command (which is then replaced or continued); anything else is refused unless the user
 * said {@code --overwrite}. So a typo in {@code --out} cannot scatter files among someone else's.
 */
final class OutputPath {
    private OutputPath() {}

    /** {@code --out DIR}: new, empty, {@code ownOutput}, or {@code --overwrite}. */
    static void checkDir(Path dir, String command, Predicate<Path> ownOutput, boolean overwrite) {
        if (!Files.exists(dir)) return;
        if (!Files.isDirectory(dir)) throw UserError.inFile(dir, "--out must be a directory; this is a file");
        if (overwrite || isEmpty(dir) || ownOutput.test(dir)) return;
        throw UserError.inFile(dir, "is not empty and is not the output of an earlier '" + command + "' run; choose a new --out, "
                + "or pass --overwrite to write into it anyway");
    }

    /** {@code --out FILE}: new, {@code ownOutput}, or {@code --overwrite}; its directory must be creatable. */
    static void checkFile(Path file, String command, Predicate<Path> ownOutput, boolean overwrite) {
        if (Files.isDirectory(file)) throw UserError.inFile(file, "--out must be a file; this is a directory");
        if (Files.exists(file) && !overwrite && !ownOutput.test(file)) {
            throw UserError.inFile(file, "exists and is not the output of an earlier '" + command + "' run; choose a new --out, "
                    + "or pass --overwrite to replace it");
        }
        for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) throw UserError.inFile(file, "cannot be written: " + p + " is a file, not a directory");
                break;
            }
        }
    }

    /**
     * Creates {@code dir} (where the outputs go) and a file in it, so that a missing or read-only place is reported
     * before a long job rather than after it. Called last, once every other check has passed.
     */
    static void requireWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".steerscope-probe-", ".tmp"));
        } catch (IOException e) {
            throw UserError.inFile(dir, "cannot write the output here: " + IoErrors.describe(e));
        }
    }

    /** Empty, or holding only the temp files of an atomic write that a SIGKILL cut short (".NAME.*.tmp"). */
    static boolean isEmpty(Path dir) {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).allMatch(n -> n.startsWith(".") && n.endsWith(".tmp"));
        } catch (IOException e) {
            throw UserError.inFile(dir, "cannot read the --out directory: " + IoErrors.describe(e));
        }
    }
}
