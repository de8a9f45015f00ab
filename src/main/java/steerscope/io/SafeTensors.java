package steerscope.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import steerscope.tensor.DType;
import steerscope.util.UserError;

/**
 * A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header, then raw tensor
 * bytes. Every size and offset in the header is checked against the file before anything is read, so a
 * broken or hostile file gives one clear error and never a read outside the mapping.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header we accept; real checkpoints have headers of a few hundred KB. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor: its dtype, shape and byte range within the data section. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw UserError.inFile(file, "truncated safetensors file: " + size + " bytes, expected at least 8 for the header length");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw UserError.inFile(file, "safetensors header length " + headerLen + " is not between 2 and " + MAX_HEADER_BYTES);
            }
            if (8 + headerLen > size) {
                throw UserError.inFile(file, "safetensors header length " + headerLen + " runs past the end of the file (" + size + " bytes)");
            }
            byte[] headerBytes = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLen);
            JsonNode header;
            try {
                // one JSON value, then at most padding spaces (as the reference writer pads): no trailing bytes
                header = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                        .readTree(new String(headerBytes, StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw UserError.inFile(file, "safetensors header is not valid JSON: " + firstLine(e.getMessage()));
            }
            if (header == null || !header.isObject()) {
                throw UserError.inFile(file, "safetensors header must be a JSON object");
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    if (!f.getValue().isObject()) throw UserError.inFile(file, "__metadata__ must be an object of strings");
                    f.getValue().fields().forEachRemaining(m -> {
                        if (!m.getValue().isTextual()) throw UserError.inFile(file, "__metadata__." + m.getKey() + " must be a string");
                        metadata.put(m.getKey(), m.getValue().asText());
                    });
                    continue;
                }
                entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), data.byteSize()));
            }
            checkNoOverlap(file, entries);
            return new SafeTensors(file, arena, data, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            arena.close();
            throw UserError.inFile(file, "file not found");
        } catch (IOException e) {
            arena.close();
            throw UserError.inFile(file, "cannot read: " + IoErrors.describe(e));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) throw UserError.inFile(file, where + ": expected an object with dtype, shape, data_offsets");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw UserError.inFile(file, where + ": missing dtype");
        DType dtype = DType.fromSafetensors(dt.asText());
        if (dtype == null) {
            throw UserError.inFile(file, where + ": unsupported dtype '" + dt.asText() + "' (expected F32, BF16 or F16)");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > 8) {
            throw UserError.inFile(file, where + ": shape must be an array of at most 8 non-negative integers");
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0 || d.asLong() > (1L << 40)) {
                throw UserError.inFile(file, where + ": shape[" + i + "] = " + d + " is not a non-negative integer");
            }
            shape[i] = d.asLong();
        }
        for (long dim : shape) { // the product can overflow a long (8 dims of up to 2^40): stop once it is absurd
            numel = dim == 0 || numel == 0 ? 0 : numel > (Long.MAX_VALUE / 8) / dim ? Long.MAX_VALUE : numel * dim;
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()
                || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
            throw UserError.inFile(file, where + ": data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw UserError.inFile(file, where + ": data_offsets [" + begin + ", " + end + "] out of range (end before begin or negative)");
        }
        if (end > dataSize) {
            throw UserError.inFile(file, where + ": data_offsets [" + begin + ", " + end + "] out of range: past the end of the "
                    + dataSize + "-byte data section (truncated file?)");
        }
        if (numel > (Long.MAX_VALUE / 8) || end - begin != numel * dtype.bytes) {
            throw UserError.inFile(file, where + ": " + (end - begin) + " bytes do not hold shape " + Arrays.toString(shape) + " of " + dtype);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path file, Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw UserError.inFile(file, "tensors '" + a.name() + "' and '" + b.name() + "' overlap in the data section");
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public Path file() {
        return file;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw UserError.inFile(file, "missing tensor '" + name + "'");
        return e;
    }

    /** The tensor's raw bytes, in its stored dtype, mapped (not copied). */
    public MemorySegment segment(String name) {
        Entry e = entry(name);
        return data.asSlice(e.begin(), e.end() - e.begin());
    }

    /** The tensor converted to F32 (a copy). */
    public float[] floats(String name) {
        Entry e = entry(name);
        return toFloats(segment(name), e.dtype(), Math.toIntExact(e.numel()));
    }

    public static float[] toFloats(MemorySegment seg, DType dtype, int n) {
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(seg, FLOAT_LE, 0, out, 0, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = DType.bf16ToFloat(seg.getAtIndex(SHORT_LE, i));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(seg.getAtIndex(SHORT_LE, i));
            }
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
