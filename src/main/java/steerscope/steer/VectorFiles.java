package steerscope.steer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import steerscope.io.IoErrors;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.SteeringVectors;
import steerscope.tensor.DType;
import steerscope.util.UserError;

/**
 * The native steering-vector file: safetensors with one F32 tensor {@code layers.{l}} of shape [d_model] per
 * layer that has a vector, and string metadata ({@code format}, {@code n_layers}, {@code d_model}, {@code hook},
 * then the caller's provenance). {@link #read} also accepts llama.cpp GGUF control vectors, told apart by
 * content (the "GGUF" magic), never by file name.
 */
public final class VectorFiles {
    public static final String FORMAT = "steerscope.vectors/1";

    /** Metadata keys this class writes itself; a caller's metadata may not use them. */
    static final Set<String> RESERVED = Set.of("format", "n_layers", "d_model", "hook");

    /** More layers than any real decoder has: guards allocations driven by numbers read from a file. */
    static final int MAX_LAYERS = 4096;

    private VectorFiles() {}

    /** Writes {@code v} atomically (temp file, then rename). */
    public static void write(SteeringVectors v, Path file) {
        SafeTensorsWriter w = new SafeTensorsWriter()
                .metadata("format", FORMAT)
                .metadata("n_layers", Integer.toString(v.nLayers()))
                .metadata("d_model", Integer.toString(v.dModel()))
                .metadata("hook", SteeringVectors.HOOK);
        // in key order: a caller's Map.of iterates in an order that changes from one JVM run to the next
        for (Map.Entry<String, String> e : new TreeMap<>(v.metadata()).entrySet()) {
            if (RESERVED.contains(e.getKey())) {
                throw new IllegalArgumentException("metadata key '" + e.getKey() + "' is reserved for the file format");
            }
            w.metadata(e.getKey(), e.getValue());
        }
        for (int l : v.layers()) w.add("layers." + l, new long[] {v.dModel()}, v.get(l));
        w.write(file);
    }

    /** Reads a native (safetensors) or llama.cpp GGUF vector file, whichever the content is. */
    public static SteeringVectors read(Path file) {
        return isGguf(file) ? GgufControlVector.read(file) : readNative(file);
    }

    /**
     * Reads a vector file for a model with {@code expectNLayers} decoder layers of width {@code expectDModel};
     * a file made for another model is a {@link UserError} naming the file and both shapes.
     */
    public static SteeringVectors read(Path file, int expectNLayers, int expectDModel) {
        SteeringVectors v = isGguf(file) ? GgufControlVector.read(file, expectNLayers) : readNative(file);
        if (v.nLayers() != expectNLayers || v.dModel() != expectDModel) {
            throw UserError.inFile(file, "steering vectors were made for a model with n_layers=" + v.nLayers()
                    + ", d_model=" + v.dModel() + "; this model has n_layers=" + expectNLayers + ", d_model=" + expectDModel);
        }
        return v;
    }

    /** True when the file starts with the GGUF magic. A missing file is a {@link UserError}. */
    public static boolean isGguf(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(4);
            while (head.hasRemaining() && ch.read(head) > 0) {
                // keep reading: a channel may return fewer bytes than asked
            }
            return head.position() == 4 && head.get(0) == 'G' && head.get(1) == 'G' && head.get(2) == 'U' && head.get(3) == 'F';
        } catch (NoSuchFileException e) {
            throw UserError.inFile(file, "file not found");
        } catch (IOException e) {
            throw UserError.inFile(file, "cannot read: " + IoErrors.describe(e));
        }
    }

    private static SteeringVectors readNative(Path file) {
        SafeTensors st;
        try {
            st = SafeTensors.open(file);
        } catch (UserError e) {
            throw new UserError(e.getMessage() + " (expected a steerscope .safetensors vector file or a llama.cpp GGUF control vector)");
        }
        try (st) {
            Map<String, String> meta = st.metadata();
            String format = meta.get("format");
            if (format == null) {
                throw UserError.inFile(file, "not a steerscope vector file: __metadata__.format is missing (expected \"" + FORMAT + "\")");
            }
            if (!format.equals(FORMAT)) {
                throw UserError.inFile(file, "__metadata__.format is \"" + format + "\", expected \"" + FORMAT + "\"");
            }
            int nLayers = intMeta(file, meta, "n_layers", MAX_LAYERS);
            int dModel = intMeta(file, meta, "d_model", Integer.MAX_VALUE);
            String hook = meta.get("hook");
            if (hook != null && !hook.equals(SteeringVectors.HOOK)) {
                throw UserError.inFile(file, "__metadata__.hook is \"" + hook + "\", expected \"" + SteeringVectors.HOOK + "\"");
            }
            SteeringVectors v = new SteeringVectors(nLayers, dModel);
            for (SafeTensors.Entry e : st.entries().values()) {
                int layer = layerIndex(file, e.name(), nLayers);
                if (e.dtype() != DType.F32 || e.shape().length != 1 || e.shape()[0] != dModel) {
                    throw UserError.inFile(file, "tensor '" + e.name() + "' is " + e.dtype() + " " + e.shapeString()
                            + ", expected F32 [" + dModel + "]");
                }
                v.set(layer, st.floats(e.name()));
            }
            meta.forEach((k, val) -> {
                if (!RESERVED.contains(k)) v.metadata().put(k, val);
            });
            return v;
        }
    }

    private static int intMeta(Path file, Map<String, String> meta, String key, int max) {
        String s = meta.get(key);
        if (s == null) throw UserError.inFile(file, "__metadata__." + key + " is missing (expected a positive integer)");
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > max) {
            throw UserError.inFile(file, "__metadata__." + key + " is \"" + s + "\", expected an integer between 1 and " + max);
        }
        return n;
    }

    /** The l of a tensor named {@code layers.{l}}, checked against the layer count. */
    private static int layerIndex(Path file, String name, int nLayers) {
        String digits = name.startsWith("layers.") ? name.substring("layers.".length()) : "";
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || (digits.length() > 1 && digits.charAt(0) == '0')) {
            throw UserError.inFile(file, "unexpected tensor '" + name + "': a vector file holds only tensors named layers.N");
        }
        int layer = Integer.parseInt(digits);
        if (layer >= nLayers) {
            throw UserError.inFile(file, "tensor '" + name + "': layer " + layer + " is out of range (n_layers = " + nLayers + ")");
        }
        return layer;
    }
}
