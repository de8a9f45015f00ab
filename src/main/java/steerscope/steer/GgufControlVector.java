package steerscope.steer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import steerscope.io.AtomicFiles;
import steerscope.io.GgufWriter;
import steerscope.io.IoErrors;
import steerscope.io.SafeTensors;
import steerscope.model.SteeringVectors;
import steerscope.tensor.DType;
import steerscope.util.UserError;

/**
 * llama.cpp control vectors ({@code --control-vector file.gguf}): a GGUF v3 file with
 * {@code general.architecture = "controlvector"}, {@code controlvector.model_hint} (the base model's
 * architecture), {@code controlvector.layer_count} (int32, the number of directions, as llama.cpp's
 * cvector-generator writes it) and one F32 tensor {@code direction.{il}} of shape [n_embd] per layer.
 *
 * <p>llama.cpp adds {@code direction.{il}} to the output of decoder block il (counting from 0), which is our
 * {@code blocks.{il}.hook_resid_post}: steerscope layer l is {@code direction.l}. Its loader rejects
 * {@code direction.0} (it has no slot for block 0), so a vector on block 0 cannot be exported.
 *
 * <p>We also write {@code steerscope.n_layers}, {@code steerscope.d_model}, {@code steerscope.hook} and the
 * vectors' metadata as {@code steerscope.meta.{key}} strings; llama.cpp ignores keys it does not know, and
 * they make the round trip exact.
 */
public final class GgufControlVector {
    static final int VERSION = 3;
    static final int DEFAULT_ALIGNMENT = 32;
    static final int GGML_TYPE_F32 = 0;
    static final String META_PREFIX = "steerscope.meta.";
    /** The metadata key whose value becomes {@code controlvector.model_hint} ("qwen2", "llama", ...). */
    public static final String MODEL_TYPE_KEY = "model_type";

    // GGUF metadata value types (gguf.md).
    static final int T_UINT8 = 0, T_INT8 = 1, T_UINT16 = 2, T_INT16 = 3, T_UINT32 = 4, T_INT32 = 5, T_FLOAT32 = 6,
            T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_UINT64 = 10, T_INT64 = 11, T_FLOAT64 = 12;

    /** Bounds on what a file may make us allocate; real control vectors are far below them. */
    private static final long MAX_STRING_BYTES = 16L << 20;
    private static final int GGML_MAX_DIMS = 4;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgufControlVector() {}

    // ---------------------------------------------------------------- writing

    /** Exports {@code v}; a vector on layer 0 is a {@link UserError} (llama.cpp cannot apply it). */
    public static void write(SteeringVectors v, Path file) {
        write(v, file, false);
    }

    /** Exports {@code v}; with {@code dropLayer0} a vector on layer 0 is left out instead of refused. */
    public static void write(SteeringVectors v, Path file, boolean dropLayer0) {
        AtomicFiles.writeBytes(file, toBytes(v, file, dropLayer0));
    }

    static byte[] toBytes(SteeringVectors v, Path file, boolean dropLayer0) {
        if (v.nLayers() > 0 && v.has(0) && !dropLayer0) {
            throw UserError.inFile(file, "cannot export a vector on layer 0 to a llama.cpp control vector: llama.cpp has no "
                    + "slot for block 0 (its loader rejects direction.0); retrain without layer 0 or pass --allow-drop-layer0 "
                    + "to export the other layers only");
        }
        List<Integer> layers = new ArrayList<>();
        for (int l : v.layers()) if (l != 0) layers.add(l);
        if (layers.isEmpty()) {
            throw UserError.inFile(file, "nothing to export: no vector on layers 1.." + (v.nLayers() - 1)
                    + " (llama.cpp refuses a control vector without direction tensors)");
        }

        GgufWriter g = new GgufWriter().string("general.architecture", "controlvector");
        String hint = v.metadata().get(MODEL_TYPE_KEY);
        if (hint != null && !hint.isEmpty()) g.string("controlvector.model_hint", hint);
        g.int32("controlvector.layer_count", layers.size()); // INT32, as llama.cpp writes it
        g.int32("steerscope.n_layers", v.nLayers());
        g.int32("steerscope.d_model", v.dModel());
        g.string("steerscope.hook", SteeringVectors.HOOK);
        for (Map.Entry<String, String> e : v.metadata().entrySet()) g.string(META_PREFIX + e.getKey(), e.getValue());
        for (int l : layers) g.tensor("direction." + l, v.get(l));
        return g.toBytes();
    }

    private static long pad(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    // ---------------------------------------------------------------- reading

    /** Reads a control vector, inferring n_layers (from our own key, else the highest direction + 1). */
    public static SteeringVectors read(Path file) {
        return read(file, 0);
    }

    /**
     * Reads a control vector into {@code direction.l -> layer l}. With {@code nLayers > 0} (the model's layer
     * count) every direction must fit in it; otherwise n_layers comes from {@code steerscope.n_layers} when the
     * file has it, else from the highest direction index + 1. d_model is the tensors' length.
     */
    public static SteeringVectors read(Path file, int nLayers) {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(file, new Cursor(file, seg), nLayers);
        } catch (NoSuchFileException e) {
            throw UserError.inFile(file, "file not found");
        } catch (IOException e) {
            throw UserError.inFile(file, "cannot read: " + IoErrors.describe(e));
        }
    }

    private record TensorInfo(String name, int layer, long nEmbd, long offset) {}

    private static SteeringVectors parse(Path file, Cursor c, int expectNLayers) {
        c.need(4, "the GGUF magic");
        if (c.seg.get(ValueLayout.JAVA_BYTE, 0) != 'G' || c.seg.get(ValueLayout.JAVA_BYTE, 1) != 'G'
                || c.seg.get(ValueLayout.JAVA_BYTE, 2) != 'U' || c.seg.get(ValueLayout.JAVA_BYTE, 3) != 'F') {
            throw UserError.inFile(file, "not a GGUF file (does not start with \"GGUF\")");
        }
        c.pos = 4;
        int version = c.u32("version");
        if (version != 2 && version != 3) {
            String why = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian GGUF file; only little-endian is supported)" : " (expected 2 or 3)";
            throw UserError.inFile(file, "unsupported GGUF version " + Integer.toUnsignedString(version) + why);
        }
        long nTensors = c.count("tensor count", 8 + 4 + 8 + 4 + 8); // smallest tensor info: 1-dim, empty name
        long nKv = c.count("metadata count", 8 + 4 + 1); // smallest key/value: empty key, one-byte value

        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string("metadata key #" + i);
            int type = c.u32("type of metadata '" + key + "'");
            Object value = c.value(type, key);
            if (kv.containsKey(key)) throw UserError.inFile(file, "duplicate metadata key '" + key + "'");
            kv.put(key, value);
        }
        Object arch = kv.get("general.architecture");
        if (arch != null && !"controlvector".equals(arch)) {
            throw UserError.inFile(file, "general.architecture is " + describe(arch)
                    + ", expected \"controlvector\" (is this a model file rather than a control vector?)");
        }
        long alignment = DEFAULT_ALIGNMENT;
        if (kv.containsKey("general.alignment")) {
            Object a = kv.get("general.alignment");
            if (!(a instanceof Long al) || al <= 0 || al > (1 << 20) || Long.bitCount(al) != 1) {
                throw UserError.inFile(file, "general.alignment is " + describe(a) + ", expected a power of two");
            }
            alignment = al;
        }

        List<TensorInfo> infos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("name of tensor #" + i);
            String where = "tensor '" + name + "'";
            if (!names.add(name)) throw UserError.inFile(file, "duplicate " + where);
            int nDims = c.u32("n_dims of " + where);
            if (nDims < 1 || nDims > GGML_MAX_DIMS) {
                throw UserError.inFile(file, where + " has n_dims " + Integer.toUnsignedString(nDims) + ", expected 1 to " + GGML_MAX_DIMS);
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = c.u64("dimension " + d + " of " + where);
                if (dims[d] < 0 || (d == 0 && dims[d] == 0) || (d > 0 && dims[d] != 1)) {
                    throw UserError.inFile(file, where + " has shape " + unsigned(dims, d + 1)
                            + ", expected one dimension [n_embd] (llama.cpp requires 1-D direction tensors)");
                }
            }
            int type = c.u32("type of " + where);
            if (type != GGML_TYPE_F32) {
                throw UserError.inFile(file, where + " has ggml type " + Integer.toUnsignedString(type)
                        + ", expected 0 (F32): llama.cpp only loads F32 control vectors");
            }
            long offset = c.u64("data offset of " + where);
            infos.add(new TensorInfo(name, directionLayer(file, name), dims[0], offset));
        }
        long dataStart = pad(c.pos, alignment);
        long dataSize = c.size - dataStart;
        if (nTensors > 0 && dataSize < 0) {
            throw UserError.inFile(file, "truncated GGUF file: the tensor data section would start at byte " + dataStart
                    + " but the file has " + c.size + " bytes");
        }

        // Shapes and layer range, all checked before allocating anything sized by the file.
        long dModel = -1;
        int maxLayer = 0;
        for (TensorInfo t : infos) {
            if (dModel == -1) dModel = t.nEmbd;
            else if (t.nEmbd != dModel) {
                throw UserError.inFile(file, "tensor '" + t.name + "' has " + t.nEmbd + " values, the others " + dModel
                        + " (all directions must have the model's n_embd)");
            }
            if (t.offset < 0 || t.offset % alignment != 0 || t.offset > dataSize || t.nEmbd > (dataSize - t.offset) / 4) {
                throw UserError.inFile(file, "tensor '" + t.name + "': data at offset " + Long.toUnsignedString(t.offset)
                        + " (" + 4 * t.nEmbd + " bytes) is misaligned or runs past the data section (" + Math.max(dataSize, 0) + " bytes)");
            }
            maxLayer = Math.max(maxLayer, t.layer);
        }
        if (infos.isEmpty()) throw UserError.inFile(file, "no direction tensors (llama.cpp would refuse this control vector)");
        if (dModel > Integer.MAX_VALUE - 8) throw UserError.inFile(file, "n_embd " + dModel + " is too large");

        Object ownLayers = kv.get("steerscope.n_layers");
        int fileNLayers = 0;
        if (ownLayers != null) {
            if (!(ownLayers instanceof Long n) || n < 1 || n > VectorFiles.MAX_LAYERS) {
                throw UserError.inFile(file, "steerscope.n_layers is " + describe(ownLayers) + ", expected 1 to " + VectorFiles.MAX_LAYERS);
            }
            fileNLayers = (int) (long) n;
        }
        Object ownDModel = kv.get("steerscope.d_model");
        if (ownDModel != null && !(ownDModel instanceof Long d && d == dModel)) {
            throw UserError.inFile(file, "steerscope.d_model is " + describe(ownDModel) + " but the tensors have " + dModel + " values");
        }
        if (expectNLayers > 0 && fileNLayers > 0 && fileNLayers != expectNLayers) {
            throw UserError.inFile(file, "steering vectors were made for a model with n_layers=" + fileNLayers
                    + ", d_model=" + dModel + "; this model has n_layers=" + expectNLayers);
        }
        int nLayers = expectNLayers > 0 ? expectNLayers : fileNLayers > 0 ? fileNLayers : maxLayer + 1;
        if (maxLayer >= nLayers) {
            throw UserError.inFile(file, "direction." + maxLayer + " is out of range: the model has " + nLayers
                    + " layers (0.." + (nLayers - 1) + "), was this control vector made for another model?");
        }

        SteeringVectors v = new SteeringVectors(nLayers, (int) dModel);
        MemorySegment data = c.seg.asSlice(dataStart);
        for (TensorInfo t : infos) {
            v.set(t.layer, SafeTensors.toFloats(data.asSlice(t.offset, 4 * t.nEmbd), DType.F32, (int) t.nEmbd));
        }
        for (Map.Entry<String, Object> e : kv.entrySet()) {
            if (e.getKey().startsWith(META_PREFIX) && e.getValue() instanceof String s) {
                String key = e.getKey().substring(META_PREFIX.length());
                if (!VectorFiles.RESERVED.contains(key)) v.metadata().put(key, s); // the native format owns those
            }
        }
        if (kv.get("controlvector.model_hint") instanceof String hint && !hint.isEmpty()) {
            v.metadata().putIfAbsent(MODEL_TYPE_KEY, hint);
        }
        return v;
    }

    /** The il of {@code direction.{il}}: llama.cpp's loader accepts nothing else, and not direction.0. */
    private static int directionLayer(Path file, String name) {
        String digits = name.startsWith("direction.") ? name.substring("direction.".length()) : "";
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw UserError.inFile(file, "unexpected tensor '" + name + "': a control vector holds only tensors named direction.N");
        }
        int layer = Integer.parseInt(digits);
        if (layer == 0) throw UserError.inFile(file, "tensor 'direction.0': llama.cpp rejects a direction on layer 0");
        if (layer >= VectorFiles.MAX_LAYERS) {
            throw UserError.inFile(file, "tensor '" + name + "': layer " + layer + " is beyond any real model (max " + VectorFiles.MAX_LAYERS + ")");
        }
        return layer;
    }

    private static String describe(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }

    private static String unsigned(long[] dims, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i > 0 ? ", " : "").append(Long.toUnsignedString(dims[i]));
        return sb.append(n < dims.length ? ", ...]" : "]").toString();
    }

    /** A read position in the mapped file; every read checks the bytes are there first. */
    private static final class Cursor {
        final Path file;
        final MemorySegment seg;
        final long size;
        long pos;

        Cursor(Path file, MemorySegment seg) {
            this.file = file;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        void need(long n, String what) {
            if (n < 0 || n > size - pos) {
                throw UserError.inFile(file, "truncated or corrupt GGUF file: " + what + " needs "
                        + (n < 0 ? "more than 2^63" : Long.toString(n)) + " bytes at offset " + pos + ", the file has " + (size - pos) + " left");
            }
        }

        int u32(String what) {
            need(4, what);
            int x = seg.get(INT_LE, pos);
            pos += 4;
            return x;
        }

        long u64(String what) {
            need(8, what);
            long x = seg.get(LONG_LE, pos);
            pos += 8;
            return x;
        }

        /** A u64 count of items each at least {@code minBytes} long, checked against the bytes left. */
        long count(String what, long minBytes) {
            long n = u64(what);
            if (n < 0 || n > (size - pos) / minBytes) {
                throw UserError.inFile(file, "corrupt GGUF file: " + what + " " + Long.toUnsignedString(n)
                        + " cannot fit in the " + (size - pos) + " bytes left");
            }
            return n;
        }

        String string(String what) {
            long len = u64("length of " + what);
            need(len, what);
            if (len > MAX_STRING_BYTES) {
                throw UserError.inFile(file, what + " is a string of " + len + " bytes, more than the " + MAX_STRING_BYTES + " we accept");
            }
            byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        /** One metadata value: integers as Long, floats as Double, bool, String; arrays are skipped (null). */
        Object value(int type, String key) {
            String what = "metadata '" + key + "'";
            switch (type) {
                case T_UINT8, T_INT8, T_BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    return type == T_BOOL ? (Object) (b != 0) : (Object) (long) (type == T_UINT8 ? b & 0xff : b);
                }
                case T_UINT16, T_INT16 -> {
                    need(2, what);
                    short s = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
                    pos += 2;
                    return (long) (type == T_UINT16 ? s & 0xffff : s);
                }
                case T_UINT32, T_INT32 -> {
                    int i = u32(what);
                    return type == T_UINT32 ? Integer.toUnsignedLong(i) : (long) i;
                }
                case T_FLOAT32 -> {
                    return (double) Float.intBitsToFloat(u32(what));
                }
                case T_UINT64, T_INT64 -> {
                    return u64(what); // a uint64 above 2^63 reads negative and fails every range check
                }
                case T_FLOAT64 -> {
                    return Double.longBitsToDouble(u64(what));
                }
                case T_STRING -> {
                    return string(what);
                }
                case T_ARRAY -> {
                    int elemType = u32("element type of " + what);
                    long minBytes = switch (elemType) {
                        case T_UINT8, T_INT8, T_BOOL -> 1;
                        case T_UINT16, T_INT16 -> 2;
                        case T_UINT32, T_INT32, T_FLOAT32 -> 4;
                        case T_UINT64, T_INT64, T_FLOAT64, T_STRING -> 8;
                        case T_ARRAY -> throw UserError.inFile(file, what + ": nested arrays are not supported (nor by llama.cpp)");
                        default -> throw UserError.inFile(file, what + ": array of unknown type " + Integer.toUnsignedString(elemType));
                    };
                    long n = count("length of " + what, minBytes);
                    if (elemType == T_STRING) {
                        for (long i = 0; i < n; i++) skipString(what);
                    } else {
                        pos += n * minBytes; // count() checked it fits
                    }
                    return null;
                }
                default -> throw UserError.inFile(file, what + " has unknown value type " + Integer.toUnsignedString(type));
            }
        }

        /** Skips one string of a string array without decoding it. */
        private void skipString(String what) {
            long len = u64("length of a string in " + what);
            need(len, "a string in " + what);
            pos += len;
        }
    }
}
