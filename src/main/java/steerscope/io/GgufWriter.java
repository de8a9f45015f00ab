package steerscope.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file (llama.cpp's format, gguf.md): typed key-value metadata, then tensor infos, then each
 * tensor's data aligned to 32 bytes. Tensor data is streamed from a callback, so a model of gigabytes never sits
 * in memory. llama.cpp checks metadata types strictly, so each value says its GGUF type.
 */
public final class GgufWriter {
    public static final int VERSION = 3;
    public static final int ALIGNMENT = 32;

    /** ggml tensor types, with their bytes per element. */
    public enum TensorType {
        F32(0, 4), F16(1, 2), BF16(30, 2);

        public final int id, bytes;

        TensorType(int id, int bytes) {
            this.id = id;
            this.bytes = bytes;
        }
    }

    // GGUF metadata value types (gguf.md)
    static final int T_UINT32 = 4, T_INT32 = 5, T_FLOAT32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;

    /** Writes one tensor's elements, in ggml order (the first dimension fastest), little-endian. */
    @FunctionalInterface
    public interface TensorData {
        void write(Sink out) throws IOException;
    }

    private record Value(int type, Object value) {}

    private record Tensor(String name, long[] dims, TensorType type, TensorData data) {
        long bytes() {
            long n = type.bytes;
            for (long d : dims) n *= d;
            return n;
        }
    }

    private final Map<String, Value> kv = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter string(String key, String v) {
        return put(key, new Value(T_STRING, v));
    }

    public GgufWriter uint32(String key, long v) {
        if (v < 0 || v > 0xFFFFFFFFL) throw new IllegalArgumentException(key + ": " + v + " is not a uint32");
        return put(key, new Value(T_UINT32, (int) v));
    }

    public GgufWriter int32(String key, int v) {
        return put(key, new Value(T_INT32, v));
    }

    public GgufWriter float32(String key, float v) {
        return put(key, new Value(T_FLOAT32, v));
    }

    public GgufWriter bool(String key, boolean v) {
        return put(key, new Value(T_BOOL, v));
    }

    public GgufWriter strings(String key, List<String> v) {
        return put(key, new Value(T_ARRAY, v.toArray(new String[0])));
    }

    public GgufWriter int32s(String key, int[] v) {
        return put(key, new Value(T_ARRAY, v.clone()));
    }

    private GgufWriter put(String key, Value v) {
        if (kv.containsKey(key)) throw new IllegalArgumentException("duplicate GGUF key " + key);
        kv.put(key, v);
        return this;
    }

    /** A tensor of the given ggml dims (innermost first: a [rows, cols] matrix is {cols, rows}). */
    public GgufWriter tensor(String name, long[] dims, TensorType type, TensorData data) {
        tensors.add(new Tensor(name, dims.clone(), type, data));
        return this;
    }

    /** An F32 vector. */
    public GgufWriter tensor(String name, float[] v) {
        return tensor(name, new long[] {v.length}, TensorType.F32, out -> {
            for (float f : v) out.f32(f);
        });
    }

    /** Writes the file atomically. */
    public void write(Path file) {
        AtomicFiles.write(file, this::writeTo);
    }

    public byte[] toBytes() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            writeTo(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    public void writeTo(OutputStream os) throws IOException {
        Sink out = new Sink(os);
        out.bytes(new byte[] {'G', 'G', 'U', 'F'});
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(kv.size());
        for (Map.Entry<String, Value> e : kv.entrySet()) {
            out.string(e.getKey());
            writeValue(out, e.getValue());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name());
            out.u32(t.dims().length);
            for (long d : t.dims()) out.u64(d);
            out.u32(t.type().id);
            out.u64(offset);
            offset += pad(t.bytes());
        }
        out.zeros(pad(out.count) - out.count);
        for (Tensor t : tensors) {
            long start = out.count;
            t.data().write(out);
            long written = out.count - start;
            if (written != t.bytes()) throw new IllegalStateException(t.name() + ": wrote " + written + " bytes, expected " + t.bytes());
            out.zeros(pad(written) - written);
        }
        out.flush();
    }

    private static void writeValue(Sink out, Value v) throws IOException {
        out.u32(v.type());
        switch (v.value()) {
            case String s -> out.string(s);
            case Integer i -> out.u32(i);
            case Float f -> out.f32(f);
            case Boolean b -> out.u8(b ? 1 : 0);
            case String[] a -> {
                out.u32(T_STRING);
                out.u64(a.length);
                for (String s : a) out.string(s);
            }
            case int[] a -> {
                out.u32(T_INT32);
                out.u64(a.length);
                for (int x : a) out.u32(x);
            }
            default -> throw new IllegalStateException("unsupported GGUF value " + v.value());
        }
    }

    private static long pad(long x) {
        return (x + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** Little-endian writer that counts its bytes. */
    public static final class Sink {
        private final OutputStream out;
        private final byte[] buf = new byte[8];
        long count;

        Sink(OutputStream out) {
            this.out = out;
        }

        public void u8(int x) throws IOException {
            out.write(x);
            count++;
        }

        public void u16(int x) throws IOException {
            buf[0] = (byte) x;
            buf[1] = (byte) (x >>> 8);
            out.write(buf, 0, 2);
            count += 2;
        }

        public void u32(int x) throws IOException {
            for (int i = 0; i < 4; i++) buf[i] = (byte) (x >>> (8 * i));
            out.write(buf, 0, 4);
            count += 4;
        }

        public void u64(long x) throws IOException {
            for (int i = 0; i < 8; i++) buf[i] = (byte) (x >>> (8 * i));
            out.write(buf, 0, 8);
            count += 8;
        }

        public void f32(float f) throws IOException {
            u32(Float.floatToRawIntBits(f));
        }

        public void bytes(byte[] b) throws IOException {
            out.write(b);
            count += b.length;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) out.write(0);
            count += n;
        }

        void flush() throws IOException {
            out.flush();
        }
    }
}
