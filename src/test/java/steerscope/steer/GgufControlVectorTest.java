package steerscope.steer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static steerscope.steer.VectorFilesTest.assertSameVectors;
import static steerscope.steer.VectorFilesTest.sample;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.TestProcess;
import steerscope.io.Json;
import steerscope.model.SteeringVectors;
import steerscope.util.UserError;

class GgufControlVectorTest {
    @TempDir
    Path dir;

    @Test
    void roundTripIsBitExactWithMetadataAndEmptyLayers() {
        SteeringVectors v = sample(7, 13, new int[] {1, 3, 6}, 11);
        Path f = dir.resolve("v.gguf");
        GgufControlVector.write(v, f);
        SteeringVectors back = GgufControlVector.read(f);
        assertSameVectors(v, back);
        assertEquals(v.metadata(), back.metadata());
        assertArrayEquals(new int[] {1, 3, 6}, back.layers());
    }

    @Test
    void layerZeroIsRefusedUnlessDropped() throws Exception {
        SteeringVectors v = sample(4, 5, new int[] {0, 2}, 12);
        Path f = dir.resolve("v.gguf");
        UserError e = assertThrows(UserError.class, () -> GgufControlVector.write(v, f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("layer 0"), e.getMessage());
        assertFalse(Files.exists(f), "nothing written on refusal");

        GgufControlVector.write(v, f, true);
        SteeringVectors back = GgufControlVector.read(f);
        assertNull(back.get(0));
        assertArrayEquals(new int[] {2}, back.layers());
        assertArrayEquals(v.get(2), back.get(2));

        SteeringVectors onlyZero = sample(4, 5, new int[] {0}, 13);
        assertThrows(UserError.class, () -> GgufControlVector.write(onlyZero, dir.resolve("z.gguf"), true));
    }

    /** The layout the Hugging Face reader sees must be what llama.cpp's loader expects. */
    @Test
    void huggingFaceGgufReaderAgrees() throws Exception {
        SteeringVectors v = sample(9, 13, new int[] {1, 4, 8}, 14);
        // JSON carries neither -0, infinity nor NaN: replace those corner cases of sample() with finite values
        v.get(1)[0] = 1e-3f;
        v.get(1)[3] = 3.4e38f;
        v.get(1)[4] = -2.5f;
        Path f = dir.resolve("v.gguf");
        GgufControlVector.write(v, f);

        JsonNode out = nodeRead(f);
        JsonNode meta = out.get("metadata"), types = out.get("types");
        assertEquals(3, meta.get("version").asInt());
        assertEquals("controlvector", meta.get("general.architecture").asText());
        assertEquals("qwen2", meta.get("controlvector.model_hint").asText());
        assertEquals(3, meta.get("controlvector.layer_count").asInt());
        assertEquals(5, types.get("controlvector.layer_count").asInt(), "layer_count is INT32, as llama.cpp writes it");
        assertEquals(8, types.get("general.architecture").asInt(), "STRING");
        assertEquals(9, meta.get("steerscope.n_layers").asInt());
        assertEquals("sha256:0123abcd", meta.get("steerscope.meta.model_hash").asText());
        assertEquals(0, out.get("tensorDataOffset").asLong() % 32, "data section aligned to 32");

        JsonNode tensors = out.get("tensors");
        int[] layers = {1, 4, 8};
        assertEquals(layers.length, tensors.size());
        for (int i = 0; i < layers.length; i++) {
            JsonNode t = tensors.get(i);
            assertEquals("direction." + layers[i], t.get("name").asText());
            assertEquals(1, t.get("shape").size());
            assertEquals(13, t.get("shape").get(0).asInt());
            assertEquals(0, t.get("dtype").asInt(), "GGML_TYPE_F32");
            assertEquals(0, t.get("offset").asLong() % 32, "tensor data aligned to 32");
            float[] want = v.get(layers[i]);
            JsonNode vals = t.get("values");
            assertEquals(want.length, vals.size());
            for (int j = 0; j < want.length; j++) {
                // a float32 printed by JS as the shortest double that round-trips, then narrowed: exact
                assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits((float) vals.get(j).asDouble()),
                        "direction." + layers[i] + "[" + j + "]");
            }
        }
    }

    /** A file laid out by hand the way repeng / gguf-py write it (uint32 layer_count, other alignment). */
    @Test
    void readsAControlVectorWrittenByOtherTools() throws Exception {
        float[] d1 = {1, 2, 3, 4, 5}, d3 = {-1, 0.25f, 0, 7, -8};
        Gguf g = new Gguf(3, 2, 5)
                .kvString("general.architecture", "controlvector")
                .kvString("controlvector.model_hint", "llama")
                .kvU32("controlvector.layer_count", 2)
                .kvU32("general.alignment", 64);
        g.str("tokenizer.ggml.tokens").u32(9).u32(8).u64(2).str("a").str("bc"); // a string array, skipped
        g.tensor("direction.1", 5, 0, 0).tensor("direction.3", 5, 0, 64).alignTo(64);
        g.floats(d1).alignTo(64).floats(d3);
        Path f = g.write(dir.resolve("repeng.gguf"));

        SteeringVectors v = GgufControlVector.read(f);
        assertEquals(4, v.nLayers(), "highest direction + 1");
        assertEquals(5, v.dModel());
        assertNull(v.get(0));
        assertNull(v.get(2));
        assertArrayEquals(d1, v.get(1));
        assertArrayEquals(d3, v.get(3));
        assertEquals("llama", v.metadata().get("model_type"));

        SteeringVectors forModel = GgufControlVector.read(f, 32);
        assertEquals(32, forModel.nLayers());
        assertArrayEquals(d3, forModel.get(3));
        UserError small = assertThrows(UserError.class, () -> GgufControlVector.read(f, 3));
        assertTrue(small.getMessage().contains("direction.3"), small.getMessage());
    }

    // ---------------------------------------------------------------- malformed files

    private void assertBad(byte[] bytes, String fragment) throws Exception {
        Path f = dir.resolve("bad.gguf");
        Files.write(f, bytes);
        UserError e = assertThrows(UserError.class, () -> VectorFiles.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "mentions '" + fragment + "': " + e.getMessage());
    }

    /** A valid one-tensor file, with the pieces a test wants to break given as arguments. */
    private static byte[] oneTensor(long nTensors, long nKv, String name, int nDims, long dim, int type, long offset) {
        Gguf g = new Gguf(3, nTensors, nKv).kvString("general.architecture", "controlvector");
        g.str(name).u32(nDims);
        for (int i = 0; i < nDims; i++) g.u64(i == 0 ? dim : 1);
        g.u32(type).u64(offset).alignTo(32).floats(new float[] {1, 2, 3, 4});
        return g.toBytes();
    }

    @Test
    void baseFileOfTheMalformedTestsIsValid() throws Exception {
        Path f = dir.resolve("ok.gguf");
        Files.write(f, oneTensor(1, 1, "direction.1", 1, 4, 0, 0));
        assertArrayEquals(new float[] {1, 2, 3, 4}, GgufControlVector.read(f).get(1));
    }

    @Test
    void malformedFilesGiveUserErrorsNeverCrashes() throws Exception {
        byte[] bad = oneTensor(1, 1, "direction.1", 1, 4, 0, 0);
        bad[1] = 'X';
        assertBad(bad, "safetensors"); // no GGUF magic: read as safetensors, which it is not either
        Path f = dir.resolve("bad-magic.gguf");
        Files.write(f, bad);
        assertThrows(UserError.class, () -> GgufControlVector.read(f));

        assertBad(new Gguf(1, 0, 0).toBytes(), "version 1");
        assertBad(new Gguf(0x03000000, 0, 0).toBytes(), "big-endian");
        assertBad(oneTensor(1L << 62, 1, "direction.1", 1, 4, 0, 0), "tensor count");
        assertBad(oneTensor(-1, 1, "direction.1", 1, 4, 0, 0), "tensor count");
        assertBad(oneTensor(1, 1L << 40, "direction.1", 1, 4, 0, 0), "metadata count");
        assertBad(new Gguf(3, 2, 0).tensor("direction.1", 4, 0, 0).toBytes(), "tensor count 2");
        assertBad(oneTensor(1, 1, "direction.1", 7, 4, 0, 0), "n_dims");
        assertBad(oneTensor(1, 1, "direction.1", 1, 1L << 60, 0, 0), "runs past");
        assertBad(oneTensor(1, 1, "direction.1", 1, -1, 0, 0), "shape");
        assertBad(oneTensor(1, 1, "direction.1", 1, 4, 1, 0), "F32");
        assertBad(oneTensor(1, 1, "direction.1", 1, 4, 0, 32), "runs past");
        assertBad(oneTensor(1, 1, "direction.1", 1, 4, 0, 4), "misaligned");
        assertBad(oneTensor(1, 1, "direction.1", 1, 4, 0, -32), "runs past");
        assertBad(oneTensor(1, 1, "direction.0", 1, 4, 0, 0), "layer 0");
        assertBad(oneTensor(1, 1, "direction.x", 1, 4, 0, 0), "direction.N");
        assertBad(oneTensor(1, 1, "blk.0.attn_q.weight", 1, 4, 0, 0), "direction.N");
        assertBad(oneTensor(1, 1, "direction.99999", 1, 4, 0, 0), "beyond");
        assertBad(new Gguf(3, 0, 1).kvString("general.architecture", "controlvector").toBytes(), "no direction tensors");

        // a model file, not a control vector
        assertBad(new Gguf(3, 0, 1).kvString("general.architecture", "llama").toBytes(), "model file");
        // huge string length, huge array length, nested array, unknown type
        assertBad(new Gguf(3, 0, 1).u64(1L << 50).u64(0).toBytes(), "truncated");
        assertBad(new Gguf(3, 0, 1).str("k").u32(9).u32(4).u64(1L << 61).toBytes(), "cannot fit");
        assertBad(new Gguf(3, 0, 1).str("k").u32(9).u32(8).u64(1L << 40).toBytes(), "cannot fit");
        assertBad(new Gguf(3, 0, 1).str("k").u32(9).u32(9).u64(1).u32(4).u64(1).u32(0).toBytes(), "nested");
        assertBad(new Gguf(3, 0, 1).str("k").u32(77).u32(0).toBytes(), "unknown value type");
        assertBad(new Gguf(3, 0, 2).kvU32("k", 1).kvU32("k", 2).toBytes(), "duplicate");
        assertBad(new Gguf(3, 0, 1).kvU32("general.alignment", 48).toBytes(), "power of two");
    }

    /** Every prefix of a valid file, and seeded random byte flips: a UserError or a valid result, nothing else. */
    @Test
    void truncatedAndCorruptedFilesNeverThrowAnythingButUserError() throws Exception {
        SteeringVectors v = sample(5, 8, new int[] {1, 4}, 15); // 8 floats = 32 bytes: no trailing padding to cut
        byte[] good = GgufControlVector.toBytes(v, dir.resolve("x"), false);
        Path f = dir.resolve("cut.gguf");
        for (int n = 0; n < good.length; n++) {
            Files.write(f, Arrays.copyOf(good, n));
            try {
                GgufControlVector.read(f);
                fail("a " + n + "-byte prefix of a " + good.length + "-byte file was accepted");
            } catch (UserError expected) {
                // the point
            }
        }
        Random rnd = new Random(16);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] b = good.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int i = 0; i < flips; i++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            Files.write(f, b);
            try {
                VectorFiles.read(f);
            } catch (UserError expected) {
                // fine: either the flip hit data (accepted) or the reader names what is wrong
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Builds GGUF bytes by hand, little-endian, independently of the class under test. */
    static final class Gguf {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Gguf(int version, long nTensors, long nKv) {
            out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
            u32(version).u64(nTensors).u64(nKv);
        }

        Gguf u32(int x) {
            for (int i = 0; i < 4; i++) out.write(x >>> (8 * i));
            return this;
        }

        Gguf u64(long x) {
            for (int i = 0; i < 8; i++) out.write((int) (x >>> (8 * i)));
            return this;
        }

        Gguf str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Gguf kvString(String k, String v) {
            return str(k).u32(8).str(v);
        }

        Gguf kvU32(String k, int v) {
            return str(k).u32(4).u32(v);
        }

        Gguf tensor(String name, long dim, int type, long offset) {
            return str(name).u32(1).u64(dim).u32(type).u64(offset);
        }

        Gguf alignTo(int a) {
            while (out.size() % a != 0) out.write(0);
            return this;
        }

        Gguf floats(float[] xs) {
            for (float x : xs) u32(Float.floatToRawIntBits(x));
            return this;
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        Path write(Path f) throws Exception {
            Files.write(f, toBytes());
            return f;
        }
    }

    /** Runs tools/node/gguf-read.mjs (@huggingface/gguf) on a file and returns its JSON. */
    private static JsonNode nodeRead(Path file) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path script = root.resolve("tools/node/gguf-read.mjs");
        Path pkg = root.resolve("tools/node/node_modules/@huggingface/gguf/package.json");
        if (!Files.exists(script)) fail("missing " + script + " (run the tests from the project root)");
        if (!Files.exists(pkg)) fail("npm package @huggingface/gguf is not installed in tools/node: run scripts/setup-test-deps");
        TestProcess.Result r;
        try {
            r = TestProcess.run(List.of(TestProcess.node(root), script.toString(), file.toString()), root.resolve("tools/node"), null, 300);
        } catch (IOException e) {
            return fail("cannot run node (" + e.getMessage() + "): run scripts/setup-test-deps");
        }
        if (r.exit() != 0) fail("node gguf-read.mjs failed (" + r.exit() + "): " + r.stderr());
        return Json.MAPPER.readTree(r.stdout());
    }
}
