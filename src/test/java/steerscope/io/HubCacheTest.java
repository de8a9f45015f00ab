package steerscope.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.model.HfModelExport;
import steerscope.rl.TinyPolicy;
import steerscope.util.UserError;

/**
 * Hub IDs resolved offline in a cache laid out as huggingface_hub lays it: refs/main holding a commit hash,
 * snapshots/HASH/ whose files are relative symlinks into blobs/ named by content hash.
 */
class HubCacheTest {
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String OLD = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    static Path tmp;
    static Path hub, plainDir;

    @BeforeAll
    static void cache() throws Exception {
        plainDir = tmp.resolve("plain");
        HfModelExport.write(new TinyPolicy(tmp, 5).vectors().model, plainDir);
        hub = tmp.resolve("hf/hub");
        Path repo = hub.resolve("models--tiny-org--Tiny-Qwen2");
        for (String hash : List.of(MAIN, OLD)) {
            Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(hash));
            try (var files = Files.list(plainDir)) {
                for (Path f : files.toList()) {
                    String blob = hash.substring(0, 8) + "-" + f.getFileName(); // stands for the blob's content hash
                    Files.createDirectories(repo.resolve("blobs"));
                    Files.copy(f, repo.resolve("blobs").resolve(blob));
                    Files.createSymbolicLink(snap.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob));
                }
            }
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), MAIN); // huggingface_hub writes it without a newline
        Files.writeString(repo.resolve("refs/v1"), OLD + "\n");
    }

    @Test
    void cacheRootFollowsTheHubsEnvironmentVariables() {
        Path home = Path.of(System.getProperty("user.home"));
        assertEquals(hub, resolveRoot(Map.of("HF_HUB_CACHE", hub.toString(), "HF_HOME", "/elsewhere")));
        assertEquals(Path.of("/x/hub"), resolveRoot(Map.of("HF_HOME", "/x")));
        assertEquals(home.resolve(".cache/huggingface/hub"), resolveRoot(Map.of()));
    }

    private static Path resolveRoot(Map<String, String> env) {
        // the root shows in the not-found message's first path
        UserError e = assertThrows(UserError.class, () -> HubCache.of(env).snapshot("a/b", "main", HubCache.Kind.MODEL));
        String tried = e.getMessage().replaceFirst(".*\\(tried ", "").replaceFirst("/models--a--b/refs/main.*", "");
        return Path.of(tried);
    }

    @Test
    void idsResolveToSnapshotsAtBranchTagOrCommit() {
        HubCache c = new HubCache(hub);
        Path repo = hub.resolve("models--tiny-org--Tiny-Qwen2");
        assertEquals(repo.resolve("snapshots").resolve(MAIN), c.resolve("tiny-org/Tiny-Qwen2", null, HubCache.Kind.MODEL));
        assertEquals(repo.resolve("snapshots").resolve(OLD), c.resolve("tiny-org/Tiny-Qwen2", "v1", HubCache.Kind.MODEL));
        assertEquals(repo.resolve("snapshots").resolve(OLD), c.resolve("tiny-org/Tiny-Qwen2", OLD, HubCache.Kind.MODEL));
        // an existing path wins over an ID, and --revision with a path is a mistake
        assertEquals(plainDir, c.resolve(plainDir.toString(), null, HubCache.Kind.MODEL));
        assertThrows(UserError.class, () -> c.resolve(plainDir.toString(), "main", HubCache.Kind.MODEL));
    }

    @Test
    void missingIdNamesThePathsTriedAndTheDownloadCommand() {
        HubCache c = new HubCache(hub);
        UserError e = assertThrows(UserError.class, () -> c.resolve("Qwen/Qwen2.5-Math-1.5B", null, HubCache.Kind.MODEL));
        assertTrue(e.getMessage().contains(hub.resolve("models--Qwen--Qwen2.5-Math-1.5B/refs/main").toString()), e.getMessage());
        assertTrue(e.getMessage().endsWith("huggingface-cli download Qwen/Qwen2.5-Math-1.5B"), e.getMessage());
        e = assertThrows(UserError.class, () -> c.resolve("tiny-org/Tiny-Qwen2", "v2", HubCache.Kind.MODEL));
        assertTrue(e.getMessage().endsWith("huggingface-cli download tiny-org/Tiny-Qwen2 --revision v2"), e.getMessage());
        e = assertThrows(UserError.class, () -> c.resolve("openai/gsm8k", null, HubCache.Kind.DATASET));
        assertTrue(e.getMessage().contains("datasets--openai--gsm8k/refs/main") && e.getMessage().endsWith("--repo-type dataset"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    /** The launcher's view: HF_HUB_CACHE in the environment, a Hub ID for --model, the same log-probs as the directory. */
    @Test
    void cliReadsAModelByIdThroughSymlinkedBlobs() throws Exception {
        String byDir = cli(Map.of(), "score", "--model", plainDir.toString(), "--text", "Say something.", "--json");
        String byId = cli(Map.of("HF_HUB_CACHE", hub.toString()), "score", "--model", "tiny-org/Tiny-Qwen2", "--text", "Say something.", "--json");
        assertEquals(byDir, byId);
        String inspect = cli(Map.of("HF_HOME", hub.getParent().toString()), "inspect", "--model", "tiny-org/Tiny-Qwen2", "--revision", "v1");
        assertTrue(inspect.contains("snapshots/" + OLD), inspect);
    }

    private static String cli(Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "steerscope.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("HF_HUB_CACHE");
        pb.environment().remove("HF_HOME");
        pb.environment().putAll(env);
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "hangs: " + cmd);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
