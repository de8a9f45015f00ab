package steerscope;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an oracle process with its output going to files, not pipes, so a chatty process cannot block on a full
 * pipe before {@code waitFor}: the timeout is then a real hang guard that fails the test.
 */
public final class TestProcess {
    /** Exit status and both outputs of a finished process. */
    public record Result(int exit, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private TestProcess() {}

    /**
     * Runs {@code cmd} (in {@code dir} when not null, with {@code stdin} when not null) to completion; throws
     * IOException when it cannot start, AssertionError when it runs past {@code timeoutSeconds}.
     */
    public static Result run(List<String> cmd, Path dir, byte[] stdin, long timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("proc", ".out"), err = Files.createTempFile("proc", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (dir != null) pb.directory(dir.toFile());
            if (stdin == null) pb.redirectInput(new File("/dev/null"));
            Process p = pb.start();
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin);
                }
            }
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * The node the JavaScript oracles run on: tools/node/runtime's, which scripts/setup-test-deps installs from the
     * npm registry where the system's node is older than the 20 that @huggingface/gguf needs, else node on PATH.
     */
    public static String node(Path repoRoot) {
        Path local = repoRoot.resolve("tools/node/runtime/node_modules/.bin/node");
        return Files.isExecutable(local) ? local.toString() : "node";
    }
}
