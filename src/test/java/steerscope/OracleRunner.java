package steerscope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch oracle (src/test/python/oracle.py, on Debian's /usr/bin/python3 with torch) into
 * target/oracle/CASE-MODE, once per build. Fails with a clear message when torch is missing.
 */
public final class OracleRunner {
    public static final Path PYTHON = Path.of("/usr/bin/python3");
    public static final List<String> CASES = List.of("qwen2-f32-tied", "qwen2-bf16", "llama-f32-rope3",
            "llama-bf16-tied-sharded", "mistral-f32", "qwen2-f32-mha",
            "qwen2-f32-downbias");

    private OracleRunner() {}

    /** The case names, as JUnit arguments. */
    public static java.util.stream.Stream<String> cases() {
        return CASES.stream();
    }

    public static synchronized Path checkpoint(String caseName, String positions) {
        Path out = Path.of("target", "oracle", caseName + "-" + positions).toAbsolutePath();
        if (Files.isRegularFile(out.resolve("expected.safetensors"))) return out;
        run(List.of(PYTHON.toString(), "src/test/python/oracle.py", "--case", caseName, "--out", out.toString(),
                "--vector-positions", positions));
        return out;
    }

    public static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("oracle timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("oracle failed (exit " + p.exitValue() + "): " + cmd + "\n" + output
                        + "\nIs Debian's python3-torch installed? Run scripts/setup-test-deps.");
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e + ". Run scripts/setup-test-deps.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
