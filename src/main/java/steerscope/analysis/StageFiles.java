package steerscope.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import steerscope.io.Json;
import steerscope.model.Model;
import steerscope.model.SteeringVectors;

/**
 * Finished stages of a long analysis, so that a killed run resumes with nothing lost: each stage is one JSON
 * file, written atomically with the key of everything it was computed from (field {@code "inputs"}). A stage
 * whose file is there with the same key is read back instead of recomputed; a missing or unreadable file, or
 * one with another key, is recomputed and replaced.
 */
final class StageFiles {
    static final String FIELD = "inputs";

    private final Path dir;
    private final String key;

    StageFiles(Path dir, String key) {
        this.dir = dir;
        this.key = key;
    }

    String key() {
        return key;
    }

    /** The stage in {@code file} (relative to the directory): read back when done with this key, else computed and written. */
    Map<String, Object> get(String file, Supplier<Map<String, Object>> compute) {
        Map<String, Object> done = read(file);
        if (done != null) return done;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(FIELD, key);
        out.putAll(compute.get());
        Out.write(dir, file, out);
        return out;
    }

    /** A sampled condition, read back or sampled and written (its samples are what later stages teacher-force). */
    Sampled.Result sampled(String file, Supplier<Sampled.Result> compute) {
        Map<String, Object> m = get(file, () -> Out.map("result", compute.get()));
        Object r = m.get("result");
        return r instanceof Sampled.Result s ? s : Json.MAPPER.convertValue(r, Sampled.Result.class);
    }

    /** The stage's content (as plain maps, lists and numbers) when its file holds this key, else null. */
    @SuppressWarnings("unchecked")
    Map<String, Object> read(String file) {
        Path p = dir.resolve(file);
        if (!Files.isRegularFile(p)) return null;
        try {
            JsonNode n = Json.MAPPER.readTree(Files.readAllBytes(p));
            if (!n.path(FIELD).asText("").equals(key)) return null;
            return Json.MAPPER.convertValue(n, LinkedHashMap.class);
        } catch (IOException | IllegalArgumentException e) {
            return null; // not a stage this run can use: recompute it
        }
    }

    /** SHA-256 (hex) of the parts: strings, int/float/double arrays, steering vectors, lists of those; anything else as JSON. */
    static String key(Object... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Object p : parts) update(md, p);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest md, Object p) {
        ByteBuffer b;
        switch (p) {
            case null -> b = ByteBuffer.wrap("null".getBytes(StandardCharsets.UTF_8));
            case int[] a -> {
                b = ByteBuffer.allocate(4 * a.length);
                for (int x : a) b.putInt(x);
            }
            case float[] a -> {
                b = ByteBuffer.allocate(4 * a.length);
                for (float x : a) b.putInt(Float.floatToRawIntBits(x));
            }
            case double[] a -> {
                b = ByteBuffer.allocate(8 * a.length);
                for (double x : a) b.putLong(Double.doubleToRawLongBits(x));
            }
            case SteeringVectors v -> {
                update(md, v.layers());
                for (int l : v.layers()) update(md, v.get(l));
                return;
            }
            case List<?> l -> {
                update(md, "list " + l.size());
                for (Object x : l) update(md, x);
                return;
            }
            case String s -> b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
            default -> b = ByteBuffer.wrap(Json.write(p).getBytes(StandardCharsets.UTF_8));
        }
        md.update(ByteBuffer.allocate(8).putLong(b.capacity()).array()); // length-prefixed: parts cannot run into each other
        md.update(b.array());
    }

    /**
     * Which model: its config, and each weight file's name, size and modification time (hashing a 1 GB
     * checkpoint's bytes would cost seconds on every run; a rewritten file gets a new time).
     */
    static String modelKey(Model m) {
        StringBuilder s = new StringBuilder(Json.write(m.config.toJson()));
        try (var files = Files.list(m.dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList())
                s.append('|').append(f.getFileName()).append(' ').append(Files.size(f)).append(' ').append(Files.getLastModifiedTime(f).toMillis());
        } catch (IOException e) {
            s.append("|weights not listed: ").append(e.getMessage());
        }
        return s.toString();
    }
}
