package steerscope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs the PyTorch oracle (src/test/python/oracle.py, on Debian's /usr/bin/python3 with torch) into
 * target/oracle/HASH/CASE-MODE, HASH naming the script's bytes, so an edited oracle never serves goldens an older
 * version wrote. Fails with a clear message when torch is missing.
 */
public final class OracleRunner {
    public static final Path PYTHON = Path.of("/usr/bin/python3");
    public static final Path SCRIPT = Path.of("src/test/python/oracle.py");
    public static final List<String> CASES = List.of("qwen2-f32-tied", "qwen2-bf16", "llama-f32-rope3",
            "llama-bf16-tied-sharded", "mistral-f32", "qwen2-f32-mha",
            "qwen2-f32-downbias");
    /** A hang guard, far above the seconds an oracle run takes. */
    static final long TIMEOUT_SECONDS = 300;

    private OracleRunner() {}

    /** The case names, as JUnit arguments. */
    public static Stream<String> cases() {
        return CASES.stream();
    }

    public static synchronized Path checkpoint(String caseName, String positions) {
        Path out = Path.of("target", "oracle", scriptHash(), caseName + "-" + positions).toAbsolutePath();
        if (Files.isRegularFile(out.resolve("expected.safetensors"))) return out;
        run(List.of(PYTHON.toString(), SCRIPT.toString(), "--case", caseName, "--out", out.toString(),
                "--vector-positions", positions));
        return out;
    }

    /** The first 16 hex digits of the oracle script's SHA-256. */
    static String scriptHash() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(SCRIPT));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AssertionError("cannot read " + SCRIPT.toAbsolutePath() + ": " + e, e);
        }
    }

    /** Runs a command to completion and returns its output; fails the test when it fails or hangs. */
    public static String run(List<String> cmd) {
        try {
            TestProcess.Result r = TestProcess.run(cmd, null, null, TIMEOUT_SECONDS);
            if (r.exit() != 0) {
                throw new AssertionError("oracle failed (exit " + r.exit() + "): " + cmd + "\n" + r.out() + r.stderr()
                        + "\nIs Debian's python3-torch installed? Run scripts/setup-test-deps.");
            }
            return r.out() + r.stderr();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e + ". Run scripts/setup-test-deps.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
