package steerscope.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.tensor.DType;
import steerscope.util.UserError;

/**
 * The safetensors reader against hand-built files (bytes laid out here with a ByteBuffer, not by our writer),
 * every kind of broken file, a seeded mutation loop, and the writer's layout and BF16/F16 bit patterns.
 */
class SafeTensorsTest {
    @TempDir
    Path tmp;

    // ------------------------------------------------------------------------------------------ hand-built files

    /** 8-byte little-endian header length, the header bytes, then the data: the format, written by hand. */
    static byte[] raw(long headerLen, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerLen).put(h).put(data);
        return buf.array();
    }

    static byte[] raw(String header, byte[] data) {
        return raw(header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static byte[] f32le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] u16le(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putShort((short) x);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** A valid three-dtype file: a [2,3] F32, a [4] BF16 (1, -2, 0.5, 3) and a [2] F16 (1, -0.5). */
    static byte[] goodFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]},"
                + "\"c\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[32,36]}}";
        byte[] data = concat(f32le(1f, 2f, 3f, -4f, 0.25f, 1e-3f), u16le(0x3F80, 0xC000, 0x3F00, 0x4040), u16le(0x3C00, 0xB800));
        return raw(header, data);
    }

    @Test
    void readsHandBuiltFile() throws IOException {
        Path f = write("good.safetensors", goodFile());
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(st.entries().keySet()));
            assertEquals(Map.of("format", "pt"), st.metadata());
            SafeTensors.Entry a = st.entry("a");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertEquals(6, a.numel());
            assertArrayEquals(new float[] {1f, 2f, 3f, -4f, 0.25f, 1e-3f}, st.floats("a"));
            assertEquals(DType.BF16, st.entry("b").dtype());
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f}, st.floats("b"));
            assertEquals(8, st.segment("b").byteSize());
            assertEquals(DType.F16, st.entry("c").dtype());
            assertArrayEquals(new float[] {1f, -0.5f}, st.floats("c"));
            UserError e = assertThrows(UserError.class, () -> st.entry("nope"));
            assertMessage(e, f, "missing tensor 'nope'");
        }
    }

    @Test
    void emptyTensorsAndPaddedHeaderAreFine() throws IOException {
        // a zero-size tensor, a scalar (shape []), and trailing spaces in the header as writers pad it
        String header = "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}    ";
        Path f = write("edge.safetensors", raw(header, f32le(7f)));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(0, st.floats("z").length);
            assertArrayEquals(new float[] {7f}, st.floats("s"));
        }
    }

    // ------------------------------------------------------------------------------------------ broken files

    static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    static byte[] oneTensor(String dtype, String shape, String offsets, byte[] data) {
        return raw("{" + entry("w", dtype, shape, offsets) + "}", data);
    }

    static Stream<Arguments> brokenFiles() {
        byte[] good = goodFile();
        byte[] sixteen = f32le(1, 2, 3, 4);
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("empty file", new byte[0], "truncated safetensors file: 0 bytes"));
        out.add(Arguments.of("5 bytes", new byte[] {1, 2, 3, 4, 5}, "truncated safetensors file: 5 bytes"));
        out.add(Arguments.of("cut in the header", Arrays.copyOf(good, 40), "runs past the end of the file"));
        out.add(Arguments.of("cut in the data", Arrays.copyOf(good, good.length - 3), "truncated file"));
        out.add(Arguments.of("cut just after the header", Arrays.copyOf(good, good.length - 36), "past the end of the 0-byte data section"));
        out.add(Arguments.of("header length past the end", raw(1000, "{}", new byte[0]), "header length 1000 runs past the end of the file (10 bytes)"));
        out.add(Arguments.of("header length 2^62", raw(1L << 62, "{}", new byte[0]), "header length 4611686018427387904 is not between"));
        out.add(Arguments.of("header length negative", raw(-1, "{}", new byte[0]), "header length -1 is not between"));
        out.add(Arguments.of("header length 0", raw(0, "{}", new byte[0]), "header length 0 is not between"));
        out.add(Arguments.of("header not JSON", raw("{\"w\": dtype F32", new byte[0]), "header is not valid JSON"));
        out.add(Arguments.of("header binary", raw("\u0000\u0001\u00ff\u0002", new byte[0]), "header is not valid JSON"));
        out.add(Arguments.of("trailing bytes after the header JSON", raw("{}x", new byte[0]), "header is not valid JSON"));
        out.add(Arguments.of("a second JSON value after the header", raw("{} {}", new byte[0]), "header is not valid JSON"));
        out.add(Arguments.of("header only spaces", raw("        ", new byte[0]), "header must be a JSON object"));
        out.add(Arguments.of("header a JSON array", raw("[1, 2]", new byte[0]), "header must be a JSON object"));
        out.add(Arguments.of("header a JSON string", raw("\"hi\"", new byte[0]), "header must be a JSON object"));
        out.add(Arguments.of("header null", raw("null", new byte[0]), "header must be a JSON object"));
        out.add(Arguments.of("duplicate tensor name", raw("{" + entry("w", "\"F32\"", "[1]", "[0,4]") + ","
                + entry("w", "\"F32\"", "[1]", "[4,8]") + "}", f32le(1, 2)), "not valid JSON"));
        out.add(Arguments.of("end past the data", oneTensor("\"F32\"", "[8]", "[0,32]", sixteen), "data_offsets [0, 32] out of range"));
        out.add(Arguments.of("begin past the data", oneTensor("\"F32\"", "[0]", "[20,20]", sixteen), "data_offsets [20, 20] out of range"));
        out.add(Arguments.of("end before begin", oneTensor("\"F32\"", "[2]", "[16,8]", sixteen), "end before begin"));
        out.add(Arguments.of("negative begin", oneTensor("\"F32\"", "[1]", "[-4,0]", sixteen), "data_offsets [-4, 0] out of range"));
        out.add(Arguments.of("offsets huge", oneTensor("\"F32\"", "[4]", "[0,99999999999999999999]", sixteen), "data_offsets must be [begin, end]"));
        out.add(Arguments.of("offsets not integers", oneTensor("\"F32\"", "[4]", "[0,16.5]", sixteen), "data_offsets must be [begin, end]"));
        out.add(Arguments.of("offsets strings", oneTensor("\"F32\"", "[4]", "[\"0\",\"16\"]", sixteen), "data_offsets must be [begin, end]"));
        out.add(Arguments.of("offsets one number", oneTensor("\"F32\"", "[4]", "[16]", sixteen), "data_offsets must be [begin, end]"));
        out.add(Arguments.of("offsets missing", raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", sixteen), "data_offsets must be [begin, end]"));
        out.add(Arguments.of("overlapping tensors", raw("{" + entry("a", "\"F32\"", "[4]", "[0,16]") + ","
                + entry("b", "\"F32\"", "[4]", "[8,24]") + "}", concat(sixteen, f32le(5, 6))), "'a' and 'b' overlap"));
        out.add(Arguments.of("tensor inside another", raw("{" + entry("big", "\"F32\"", "[4]", "[0,16]") + ","
                + entry("small", "\"F32\"", "[1]", "[4,8]") + "}", sixteen), "overlap"));
        out.add(Arguments.of("bytes do not match shape", oneTensor("\"F32\"", "[3]", "[0,16]", sixteen), "16 bytes do not hold shape [3] of F32"));
        out.add(Arguments.of("bytes do not match dtype", oneTensor("\"BF16\"", "[4]", "[0,16]", sixteen), "16 bytes do not hold shape [4] of BF16"));
        out.add(Arguments.of("shape overflows a long", oneTensor("\"F32\"", "[1099511627776,1099511627776,1099511627776]", "[0,16]", sixteen),
                "do not hold shape"));
        out.add(Arguments.of("shape of 2^40 x 8 dims", oneTensor("\"F32\"", "[1099511627776,1099511627776,1099511627776,1099511627776,"
                + "1099511627776,1099511627776,1099511627776,1099511627776]", "[0,16]", sixteen), "do not hold shape"));
        out.add(Arguments.of("dtype F64", oneTensor("\"F64\"", "[2]", "[0,16]", sixteen), "unsupported dtype 'F64'"));
        out.add(Arguments.of("dtype I8", oneTensor("\"I8\"", "[16]", "[0,16]", sixteen), "unsupported dtype 'I8'"));
        out.add(Arguments.of("dtype F8_E4M3", oneTensor("\"F8_E4M3\"", "[16]", "[0,16]", sixteen), "unsupported dtype 'F8_E4M3'"));
        out.add(Arguments.of("dtype lower case", oneTensor("\"f32\"", "[4]", "[0,16]", sixteen), "unsupported dtype 'f32'"));
        out.add(Arguments.of("dtype a number", oneTensor("32", "[4]", "[0,16]", sixteen), "missing dtype"));
        out.add(Arguments.of("negative shape", oneTensor("\"F32\"", "[-4]", "[0,16]", sixteen), "shape[0] = -4 is not a non-negative integer"));
        out.add(Arguments.of("fractional shape", oneTensor("\"F32\"", "[2,2.0]", "[0,16]", sixteen), "shape[1] = 2.0 is not a non-negative integer"));
        out.add(Arguments.of("string shape", oneTensor("\"F32\"", "[\"4\"]", "[0,16]", sixteen), "shape[0] = \"4\" is not a non-negative integer"));
        out.add(Arguments.of("null shape entry", oneTensor("\"F32\"", "[null]", "[0,16]", sixteen), "shape[0] = null is not a non-negative integer"));
        out.add(Arguments.of("shape not an array", oneTensor("\"F32\"", "4", "[0,16]", sixteen), "shape must be an array"));
        out.add(Arguments.of("tensor not an object", raw("{\"w\":[1,2]}", sixteen), "tensor 'w': expected an object"));
        out.add(Arguments.of("metadata not an object", raw("{\"__metadata__\":[\"x\"]}", new byte[0]), "__metadata__ must be an object"));
        out.add(Arguments.of("metadata value not a string", raw("{\"__metadata__\":{\"n\":5}}", new byte[0]), "__metadata__.n must be a string"));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void brokenFileGivesOneClearError(String what, byte[] bytes, String phrase) throws IOException {
        Path f = write("broken.safetensors", bytes);
        UserError e = assertThrows(UserError.class, () -> SafeTensors.open(f).close(), what);
        assertMessage(e, f, phrase);
    }

    @Test
    void missingFileAndDirectory() throws IOException {
        Path missing = tmp.resolve("absent.safetensors");
        assertMessage(assertThrows(UserError.class, () -> SafeTensors.open(missing)), missing, "file not found");
        Path dir = Files.createDirectory(tmp.resolve("adir.safetensors"));
        assertMessage(assertThrows(UserError.class, () -> SafeTensors.open(dir)), dir, "cannot read");
    }

    /** The message names the file (its path, hence its name), contains the phrase, and fits on one line. */
    static void assertMessage(UserError e, Path file, String phrase) {
        String m = e.getMessage();
        assertTrue(m.contains(file.getFileName().toString()), "message should name " + file.getFileName() + ": " + m);
        assertTrue(m.contains(phrase), "message should say '" + phrase + "': " + m);
        assertFalse(m.contains("\n"), "one line: " + m);
    }

    // ------------------------------------------------------------------------------------------ mutation loop

    /** Header edits that look like what a corrupting tool or a hostile file would write. */
    static final String[] TOKENS = {"-1", "0", "1", "7", "1e30", "4.5", "99999999999999999999", "-9223372036854775808",
        "9223372036854775807", "1099511627776", "null", "true", "[]", "{}", "\"F64\"", "\"BF16\"", "\"F16\"", "\"F32\"",
        "[0,0]", "[4,2]", "[1,1,1,1,1,1,1,1,1]", "[1099511627776,1099511627776,1099511627776]", "\"", ",", ":", "}", "]", "\"__metadata__\""};

    @Test
    void mutatedFilesLoadOrGiveUserError() throws IOException {
        byte[] base = new SafeTensorsWriter().metadata("format", "pt")
                .add("a", DType.F32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .add("b", DType.BF16, new long[] {4}, new float[] {1, -2, 0.5f, 3})
                .add("c", DType.F16, new long[] {2, 1}, new float[] {1, -0.5f})
                .add("d", DType.F32, new long[] {}, new float[] {9})
                .toBytes();
        int headerEnd = 8 + (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Random rnd = new Random(20240611);
        Path f = tmp.resolve("mutant.safetensors");
        int loaded = 0, rejected = 0, mutations = 3000;
        for (int m = 0; m < mutations; m++) {
            byte[] bytes = base.clone();
            String how;
            switch (rnd.nextInt(6)) {
                case 0 -> { // flip a few bits, mostly in the header where they matter
                    int n = 1 + rnd.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        int at = rnd.nextInt(4) == 0 ? rnd.nextInt(bytes.length) : rnd.nextInt(headerEnd);
                        bytes[at] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    how = n + " bit flips";
                }
                case 1 -> { // truncate anywhere
                    int len = rnd.nextInt(bytes.length);
                    bytes = Arrays.copyOf(bytes, len);
                    how = "truncated to " + len;
                }
                case 2 -> { // a random header length
                    long len = switch (rnd.nextInt(4)) {
                        case 0 -> rnd.nextLong();
                        case 1 -> rnd.nextInt(bytes.length + 16) - 8;
                        case 2 -> 1L << rnd.nextInt(63);
                        default -> headerEnd - 8 + rnd.nextInt(9) - 4;
                    };
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
                    how = "header length " + len;
                }
                case 3, 4 -> { // replace a run of header text by a token, fixing the length field to match
                    String header = new String(bytes, 8, headerEnd - 8, StandardCharsets.UTF_8);
                    int at = rnd.nextInt(header.length()), len = rnd.nextInt(Math.min(6, header.length() - at) + 1);
                    String tok = TOKENS[rnd.nextInt(TOKENS.length)];
                    String edited = header.substring(0, at) + tok + header.substring(at + len);
                    byte[] data = Arrays.copyOfRange(bytes, headerEnd, bytes.length);
                    bytes = raw(edited, data);
                    how = "header edit at " + at + ": '" + header.substring(at, at + len) + "' -> '" + tok + "'";
                }
                default -> { // random bytes appended or a random byte anywhere
                    if (rnd.nextBoolean()) {
                        byte[] extra = new byte[1 + rnd.nextInt(16)];
                        rnd.nextBytes(extra);
                        bytes = concat(bytes, extra);
                        how = "appended " + extra.length + " bytes";
                    } else {
                        int at = rnd.nextInt(bytes.length);
                        bytes[at] = (byte) rnd.nextInt(256);
                        how = "byte " + at + " set";
                    }
                }
            }
            Files.write(f, bytes);
            try (SafeTensors st = SafeTensors.open(f)) {
                long dataSize = bytes.length - 8 - ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                for (SafeTensors.Entry e : st.entries().values()) {
                    assertTrue(e.begin() >= 0 && e.end() <= dataSize, how + ": " + e.name() + " outside the data section");
                    MemorySegment seg = st.segment(e.name());
                    assertEquals(e.numel() * e.dtype().bytes, seg.byteSize(), how);
                    assertEquals(e.numel(), st.floats(e.name()).length, how);
                }
                loaded++;
            } catch (UserError e) {
                assertTrue(e.getMessage().contains(f.getFileName().toString()), how + ": message without the file: " + e.getMessage());
                rejected++;
            } catch (Throwable t) { // anything else (IndexOutOfBounds, IllegalArgument, Arithmetic, OOM) is a bug
                fail("mutation " + m + " (" + how + ") threw " + t, t);
            }
        }
        System.out.printf("safetensors mutations: %d loaded, %d rejected with UserError%n", loaded, rejected);
        assertEquals(mutations, loaded + rejected);
        assertTrue(rejected > mutations / 3 && loaded > 0, "the mutations should exercise both outcomes");
    }

    // ------------------------------------------------------------------------------------------ writer

    @Test
    void writerRoundTripsAllDtypesWithMetadata() throws IOException {
        Random rnd = new Random(7);
        float[] f32 = new float[24];
        for (int i = 0; i < f32.length; i++) f32[i] = (float) rnd.nextGaussian() * 10;
        f32[0] = -0f;
        f32[1] = Float.MIN_VALUE; // subnormal survives F32 exactly
        float[] exactBf16 = {1f, -2f, 0.15625f, 65536f, -0.5f, 1.5f}; // all with <= 8 significant bits
        float[] exactF16 = {1f, -2f, 0.099975586f, 65504f, -0.5f, 6.1035156e-5f};      // all representable in F16
        Path f = tmp.resolve("w.safetensors");
        new SafeTensorsWriter().metadata("format", "pt").metadata(Map.of("steerscope.layer", "3"))
                .add("x", new long[] {4, 6}, f32)
                .add("y", DType.BF16, new long[] {2, 3}, exactBf16)
                .add("z", DType.F16, new long[] {6}, exactF16)
                .write(f);
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + headerLen) % 8, "data section must start 8-byte aligned");
        assertEquals(8 + headerLen + 24 * 4 + 6 * 2 + 6 * 2, bytes.length, "no bytes beyond the tensors");
        // the header, parsed on its own: offsets contiguous in add order
        JsonNode h = Json.MAPPER.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        assertEquals("pt", h.get("__metadata__").get("format").asText());
        assertEquals("[0,96]", h.get("x").get("data_offsets").toString());
        assertEquals("[96,108]", h.get("y").get("data_offsets").toString());
        assertEquals("[108,120]", h.get("z").get("data_offsets").toString());
        assertEquals("BF16", h.get("y").get("dtype").asText());
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(Map.of("format", "pt", "steerscope.layer", "3"), st.metadata());
            assertArrayEquals(new long[] {4, 6}, st.entry("x").shape());
            float[] x = st.floats("x");
            for (int i = 0; i < f32.length; i++) assertEquals(Float.floatToRawIntBits(f32[i]), Float.floatToRawIntBits(x[i]), "x[" + i + "]");
            assertArrayEquals(exactBf16, st.floats("y"));
            assertArrayEquals(exactF16, st.floats("z"));
        }
    }

    @Test
    void dataStartIsAlignedForEveryHeaderLength() throws IOException {
        for (int n = 1; n <= 16; n++) {
            byte[] bytes = new SafeTensorsWriter().add("t".repeat(n), new long[] {1}, new float[] {n}).toBytes();
            long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, (8 + headerLen) % 8, "name length " + n);
            for (long i = 8 + headerLen - 1; i >= 8 && bytes[(int) i] != '}'; i--) assertEquals(' ', bytes[(int) i], "padding is spaces");
            Path f = write("align" + n + ".safetensors", bytes);
            try (SafeTensors st = SafeTensors.open(f)) {
                assertArrayEquals(new float[] {n}, st.floats("t".repeat(n)));
            }
        }
    }

    /** The BF16 halves the writer stores, read straight from the bytes. */
    static int[] writtenBf16(float... v) {
        byte[] bytes = new SafeTensorsWriter().add("v", DType.BF16, new long[] {v.length}, v).toBytes();
        int start = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ByteBuffer b = ByteBuffer.wrap(bytes, start, 2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = b.getShort() & 0xffff;
        return out;
    }

    static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    @Test
    void bf16RoundsToNearestEven() {
        // Each input is given by its F32 bits; BF16 keeps the top 16, rounding the low 16 to nearest, ties to even.
        float[] in = {
            bits(0x3F800000), // 1.0 exactly -> 3F80
            bits(0x3F808000), // 1 + 2^-8: a tie between 3F80 and 3F81 -> even 3F80
            bits(0x3F818000), // tie between 3F81 and 3F82 -> even 3F82
            bits(0x3F808001), // just above the tie -> 3F81
            bits(0x3F807FFF), // just below the tie -> 3F80
            bits(0xBF818000), // negative tie -> even BF82
            bits(0x3FFF8000), // tie that carries into the exponent: 3FFF -> 4000 (2.0)
            bits(0x7F7FFFFF), // largest float rounds up to infinity 7F80
            bits(0x7F800000), // +inf stays 7F80
            bits(0xFF800000), // -inf stays FF80
            bits(0x00008000), // subnormal tie -> even 0000
            bits(0x00018000), // subnormal tie -> even 0002
            bits(0x80000000), // -0 keeps its sign 8000
        };
        int[] want = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xBF82, 0x4000, 0x7F80, 0x7F80, 0xFF80, 0x0000, 0x0002, 0x8000};
        int[] got = writtenBf16(in);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], String.format("bf16 of %08X: got %04X want %04X", Float.floatToRawIntBits(in[i]), got[i], want[i]));
        }
        int nan = writtenBf16(Float.NaN)[0];
        assertEquals(0x7F80, nan & 0x7F80, "NaN keeps an all-ones exponent");
        assertTrue((nan & 0x007F) != 0, "NaN stays NaN (not infinity): " + Integer.toHexString(nan));
    }

    @Test
    void f16BitPatterns() {
        float[] in = {1f, -2f, 0.5f, 65504f, 65520f, 1f / 3, 5.9604645e-8f};
        int[] want = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x7C00, 0x3555, 0x0001}; // 65520 is the tie to infinity; 1/3 -> 0x3555
        byte[] bytes = new SafeTensorsWriter().add("v", DType.F16, new long[] {in.length}, in).toBytes();
        int start = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ByteBuffer b = ByteBuffer.wrap(bytes, start, 2 * in.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < in.length; i++) {
            int got = b.getShort() & 0xffff;
            assertEquals(want[i], got, String.format("f16 of %s: got %04X want %04X", in[i], got, want[i]));
        }
    }
}
