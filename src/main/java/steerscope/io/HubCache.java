package steerscope.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import steerscope.util.UserError;

/**
 * The local Hugging Face Hub cache, read offline: {@code models--owner--name/refs/REV} holds a commit hash and
 * {@code snapshots/HASH/} the files (symlinks into {@code blobs/}). The cache is {@code $HF_HUB_CACHE}, else
 * {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}, as huggingface_hub lays it out. Never a network call.
 */
public final class HubCache {
    /** What a Hub repository is: the folder prefix in the cache and the download command's flag. */
    public enum Kind {
        MODEL("models", "model", ""), DATASET("datasets", "dataset", " --repo-type dataset");

        final String prefix, noun, downloadFlag;

        Kind(String prefix, String noun, String downloadFlag) {
            this.prefix = prefix;
            this.noun = noun;
            this.downloadFlag = downloadFlag;
        }
    }

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    /** The cache huggingface_hub would use with these environment variables. */
    public static HubCache of(Map<String, String> env) {
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isEmpty()) return new HubCache(Path.of(hub));
        String home = env.get("HF_HOME");
        if (home != null && !home.isEmpty()) return new HubCache(Path.of(home, "hub"));
        return new HubCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
    }

    public static HubCache fromEnvironment() {
        return of(System.getenv());
    }

    /**
     * A command's {@code --model}/{@code --data} argument as a path: an existing file or directory as it is, else
     * an {@code owner/name} Hub ID resolved in the cache at {@code revision} (null: main), else the path as given
     * (whose loader then says it is missing).
     */
    public Path resolve(String arg, String revision, Kind kind) {
        Path asPath = Path.of(arg);
        if (Files.exists(asPath)) {
            if (revision != null) throw new UserError("--revision applies to a Hub ID, but " + arg + " is a local path");
            return asPath;
        }
        if (!ID.matcher(arg).matches()) {
            if (revision != null) throw new UserError("--revision applies to a Hub ID (owner/name), not " + arg);
            return asPath;
        }
        return snapshot(arg, revision == null ? "main" : revision, kind);
    }

    /** The snapshot directory of a Hub ID at a branch, tag or commit hash. */
    public Path snapshot(String id, String revision, Kind kind) {
        Path repo = root.resolve(kind.prefix + "--" + id.replace("/", "--"));
        List<Path> tried = new ArrayList<>();
        Path ref = repo.resolve("refs").resolve(revision);
        tried.add(ref);
        String hash = null;
        if (Files.isRegularFile(ref)) {
            try {
                hash = Files.readString(ref, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw UserError.inFile(ref, "cannot read: " + e.getMessage());
            }
            if (!COMMIT.matcher(hash).matches()) throw UserError.inFile(ref, "expected a 40-hex commit hash, found '" + hash + "'");
        } else if (COMMIT.matcher(revision).matches()) {
            hash = revision;
        }
        if (hash != null) {
            Path snap = repo.resolve("snapshots").resolve(hash);
            tried.add(snap);
            if (Files.isDirectory(snap)) return snap;
        }
        throw new UserError(kind.noun + " " + id + (revision.equals("main") ? "" : " at revision " + revision)
                + ": no such file or directory, and not in the local Hugging Face cache (tried " + String.join(", ", tried.stream().map(Path::toString).toList())
                + "; the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub); on a connected machine: "
                + "huggingface-cli download " + id + kind.downloadFlag + (revision.equals("main") ? "" : " --revision " + revision));
    }
}
