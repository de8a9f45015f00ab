package steerscope.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.tensor.DType;

/** Builds a safetensors file in memory order of {@link #add} calls and writes it atomically. */
public final class SafeTensorsWriter {
    private record Pending(String name, DType dtype, long[] shape, float[] values) {}

    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafeTensorsWriter metadata(Map<String, String> entries) {
        metadata.putAll(entries);
        return this;
    }

    /** Adds a tensor given as F32 values, stored as {@code dtype} (BF16 rounds to nearest even). */
    public SafeTensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + Arrays.toString(shape));
        }
        tensors.add(new Pending(name, dtype, shape.clone(), values));
        return this;
    }

    public SafeTensorsWriter add(String name, long[] shape, float[] values) {
        return add(name, DType.F32, shape, values);
    }

    /** The header: JSON padded with spaces so the data section starts 8-byte aligned. */
    private byte[] header() {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", metadata);
        long offset = 0;
        for (Pending t : tensors) {
            long bytes = (long) t.values.length * t.dtype.bytes;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype.name());
            e.put("shape", t.shape);
            e.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(t.name, e);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[8 + padded];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, out, 8, json.length);
        for (int i = 8 + json.length; i < out.length; i++) out[i] = (byte) ' ';
        return out;
    }

    /** Streams the file: header, then each tensor in chunks, so files past 2 GiB need no single buffer. */
    private void writeTo(OutputStream out) throws IOException {
        out.write(header());
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Pending t : tensors) {
            for (float v : t.values) {
                if (buf.remaining() < 4) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                switch (t.dtype) {
                    case F32 -> buf.putFloat(v);
                    case BF16 -> buf.putShort(DType.floatToBf16(v));
                    case F16 -> buf.putShort(Float.floatToFloat16(v));
                }
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    public byte[] toBytes() {
        var bytes = new ByteArrayOutputStream();
        try {
            writeTo(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public void write(Path file) {
        AtomicFiles.write(file, this::writeTo);
    }
}
