package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.opentest4j.AssertionFailedError;
import steerscope.util.UserError;

/**
 * One parser's fuzz run: a fixed number of inputs, each of which must either load or give a one-line
 * {@link UserError} naming the file (a generous per-input limit catches hangs), and both outcomes must occur (a
 * campaign whose inputs all load, or all fail, tests the mutator, not the parser). Every other outcome (an exception, an
 * OutOfMemoryError, a hang) with the input that caused it under target/fuzz-findings/ to be kept as a
 * regression resource.
 */
final class FuzzCampaign {
    private final String parser;
    private final int inputs;
    int ran, loaded, rejected;
    private long slowestNanos;
    private String slowest = "";
    final List<String> findings = new ArrayList<>();

    /** Exactly {@code inputs} inputs: a count, not a time budget, so a slow machine runs the same campaign. */
    FuzzCampaign(String parser, int inputs) {
        this.parser = parser;
        this.inputs = inputs;
    }

    boolean more() {
        return ran < inputs;
    }

    /**
     * Runs one input. {@code nameInError} is what a UserError must mention (the file); {@code input} is the
     * bytes to keep when something else happens.
     */
    <T> T one(String how, String nameInError, byte[] input, Duration timeout, ThrowingSupplier<T> load) {
        ran++;
        long t0 = System.nanoTime();
        try {
            T result = assertTimeoutPreemptively(timeout, load, () -> "hang (over " + timeout.toSeconds() + " s)");
            loaded++;
            return result;
        } catch (UserError e) {
            String m = String.valueOf(e.getMessage());
            if (!m.contains(nameInError)) finding(how, input, "UserError does not name " + nameInError + ": " + m);
            else if (m.contains("\n") || m.contains("\r")) finding(how, input, "UserError message is not one line: " + m);
            else rejected++;
        } catch (AssertionFailedError e) {
            finding(how, input, e.getMessage());
        } catch (Throwable t) {
            finding(how, input, t.toString() + " at " + (t.getStackTrace().length > 0 ? t.getStackTrace()[0] : "?"));
        } finally {
            long took = System.nanoTime() - t0;
            if (took > slowestNanos) {
                slowestNanos = took;
                slowest = how;
            }
        }
        return null;
    }

    private void finding(String how, byte[] input, String what) {
        String line = parser + " input " + ran + " (" + how + "): " + what.replace('\n', ' ');
        findings.add(line.length() > 600 ? line.substring(0, 600) + "..." : line);
        if (input != null && findings.size() <= 20) {
            try {
                Path dir = Files.createDirectories(Path.of("target", "fuzz-findings", parser));
                Files.write(dir.resolve("input-" + ran + ".bin"), input);
            } catch (IOException e) {
                // only a convenience for the developer; the finding itself is reported below
            }
        }
    }

    /** Prints the counts of each campaign, then fails with every finding. */
    static void report(FuzzCampaign... campaigns) {
        List<String> all = new ArrayList<>();
        for (FuzzCampaign c : campaigns) {
            System.out.printf("FUZZ %-30s inputs %5d: loaded %5d, rejected with UserError %5d, findings %d (slowest %d ms: %s)%n",
                    c.parser, c.ran, c.loaded, c.rejected, c.findings.size(), c.slowestNanos / 1_000_000, c.slowest);
            c.findings.forEach(f -> System.out.println("  " + f));
            all.addAll(c.findings);
            if (c.loaded == 0) all.add(c.parser + ": no input loaded, so no mutation was survivable");
            if (c.rejected == 0) all.add(c.parser + ": no input was rejected, so no mutation broke anything");
        }
        if (!all.isEmpty()) fail(all.size() + " findings:\n" + String.join("\n", all));
    }
}
