package steerscope.steer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.SafeTensors;
import steerscope.io.SafeTensorsWriter;
import steerscope.model.SteeringVectors;
import steerscope.tensor.DType;
import steerscope.util.UserError;

class VectorFilesTest {
    @TempDir
    Path dir;

    /** Vectors on a few layers with seeded random values plus the float corner cases. */
    static SteeringVectors sample(int nLayers, int dModel, int[] layers, long seed) {
        SteeringVectors v = SteeringVectors.zeros(nLayers, dModel, layers);
        Random rnd = new Random(seed);
        for (int l : layers) {
            float[] x = v.get(l);
            for (int i = 0; i < dModel; i++) x[i] = (float) rnd.nextGaussian() * (l + 1);
        }
        float[] first = v.get(layers[0]);
        float[] corners = {-0.0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x7fc01234)};
        System.arraycopy(corners, 0, first, 0, Math.min(corners.length, dModel));
        v.metadata().put("base_model", "Qwen/Qwen2.5-0.5B-Instruct");
        v.metadata().put("model_hash", "sha256:0123abcd");
        v.metadata().put("model_type", "qwen2");
        v.metadata().put("train_config", "{\"lr\": 0.01, \"seed\": 7, \"layers\": [2, 5]}");
        return v;
    }

    static void assertSameVectors(SteeringVectors want, SteeringVectors got) {
        assertEquals(want.nLayers(), got.nLayers(), "n_layers");
        assertEquals(want.dModel(), got.dModel(), "d_model");
        for (int l = 0; l < want.nLayers(); l++) {
            if (want.get(l) == null) {
                assertNull(got.get(l), "layer " + l + " should have no vector");
                continue;
            }
            float[] a = want.get(l), b = got.get(l);
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "layer " + l + " [" + i + "] bits");
            }
        }
    }

    @Test
    void nativeRoundTripIsBitExactAndKeepsMetadataAndEmptyLayers() {
        SteeringVectors v = sample(6, 11, new int[] {0, 2, 5}, 1);
        Path f = dir.resolve("v.safetensors");
        VectorFiles.write(v, f);
        SteeringVectors back = VectorFiles.read(f);
        assertSameVectors(v, back);
        assertEquals(v.metadata(), back.metadata());
        assertArrayEquals(new int[] {0, 2, 5}, back.layers());
    }

    @Test
    void nativeFileHasTheDocumentedLayout() {
        SteeringVectors v = sample(4, 3, new int[] {1, 3}, 2);
        Path f = dir.resolve("v.safetensors");
        VectorFiles.write(v, f);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(Set.of("layers.1", "layers.3"), st.entries().keySet());
            assertEquals(DType.F32, st.entry("layers.3").dtype());
            assertArrayEquals(new long[] {3}, st.entry("layers.3").shape());
            Map<String, String> m = st.metadata();
            assertEquals("steerscope.vectors/1", m.get("format"));
            assertEquals("4", m.get("n_layers"));
            assertEquals("3", m.get("d_model"));
            assertEquals("hook_resid_post", m.get("hook"));
            assertEquals("sha256:0123abcd", m.get("model_hash"));
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTempFiles() throws Exception {
        Path f = dir.resolve("v.safetensors");
        VectorFiles.write(sample(3, 4, new int[] {1}, 3), f);
        VectorFiles.write(sample(3, 4, new int[] {2}, 4), f);
        assertArrayEquals(new int[] {2}, VectorFiles.read(f).layers());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the target file is left");
        }
    }

    @Test
    void reservedMetadataKeysAreRefused() {
        SteeringVectors v = sample(3, 4, new int[] {1}, 5);
        v.metadata().put("d_model", "99");
        assertThrows(IllegalArgumentException.class, () -> VectorFiles.write(v, dir.resolve("v.safetensors")));
    }

    @Test
    void detectsTheFormatByContentNotByName() {
        SteeringVectors v = sample(5, 6, new int[] {1, 4}, 6);
        Path ggufNamedSafetensors = dir.resolve("looks-native.safetensors");
        GgufControlVector.write(v, ggufNamedSafetensors);
        assertTrue(VectorFiles.isGguf(ggufNamedSafetensors));
        assertSameVectors(v, VectorFiles.read(ggufNamedSafetensors));

        Path nativeNamedGguf = dir.resolve("looks-llama.gguf");
        VectorFiles.write(v, nativeNamedGguf);
        assertFalse(VectorFiles.isGguf(nativeNamedGguf));
        assertSameVectors(v, VectorFiles.read(nativeNamedGguf));
        assertEquals(v.metadata(), VectorFiles.read(nativeNamedGguf).metadata());
    }

    @Test
    void readForAModelChecksLayerCountAndWidth() {
        Path f = dir.resolve("v.safetensors");
        VectorFiles.write(sample(4, 8, new int[] {1, 2}, 7), f);
        assertEquals(4, VectorFiles.read(f, 4, 8).nLayers());

        UserError layers = assertThrows(UserError.class, () -> VectorFiles.read(f, 24, 8));
        assertTrue(layers.getMessage().startsWith(f.toString()), layers.getMessage());
        assertTrue(layers.getMessage().contains("n_layers=4") && layers.getMessage().contains("n_layers=24"), layers.getMessage());
        UserError width = assertThrows(UserError.class, () -> VectorFiles.read(f, 4, 896));
        assertTrue(width.getMessage().contains("d_model=8") && width.getMessage().contains("d_model=896"), width.getMessage());

        Path g = dir.resolve("v.gguf");
        GgufControlVector.write(sample(4, 8, new int[] {1, 2}, 7), g);
        assertEquals(4, VectorFiles.read(g, 4, 8).nLayers());
        UserError gw = assertThrows(UserError.class, () -> VectorFiles.read(g, 4, 896));
        assertTrue(gw.getMessage().startsWith(g.toString()) && gw.getMessage().contains("d_model=8"), gw.getMessage());
        UserError gl = assertThrows(UserError.class, () -> VectorFiles.read(g, 24, 8));
        assertTrue(gl.getMessage().contains("n_layers=4") && gl.getMessage().contains("24"), gl.getMessage());
    }

    private Path nativeFile(SafeTensorsWriter w) {
        Path f = dir.resolve("bad-" + System.nanoTime() + ".safetensors");
        w.write(f);
        return f;
    }

    private static SafeTensorsWriter header(String nLayers, String dModel) {
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("format", VectorFiles.FORMAT);
        if (nLayers != null) w.metadata("n_layers", nLayers);
        if (dModel != null) w.metadata("d_model", dModel);
        return w;
    }

    private void assertUserError(Path f, String fragment) {
        UserError e = assertThrows(UserError.class, () -> VectorFiles.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "mentions '" + fragment + "': " + e.getMessage());
    }

    @Test
    void malformedNativeFilesGiveUserErrors() throws Exception {
        float[] four = {1, 2, 3, 4};
        assertUserError(nativeFile(new SafeTensorsWriter().add("model.embed_tokens.weight", new long[] {4}, four)), "format");
        assertUserError(nativeFile(new SafeTensorsWriter().metadata("format", "steerscope.vectors/9").add("layers.1", new long[] {4}, four)),
                "steerscope.vectors/9");
        assertUserError(nativeFile(header("3", "4").add("layers.1.weight", new long[] {4}, four)), "layers.N");
        assertUserError(nativeFile(header("3", "4").add("blocks.1", new long[] {4}, four)), "layers.N");
        assertUserError(nativeFile(header("3", "4").add("layers.01", new long[] {4}, four)), "layers.N");
        assertUserError(nativeFile(header("3", "4").add("layers.3", new long[] {4}, four)), "out of range");
        assertUserError(nativeFile(header("3", "4").add("layers.1", new long[] {2, 2}, four)), "expected F32 [4]");
        assertUserError(nativeFile(header("3", "4").add("layers.1", new long[] {4}, new float[] {1, 2, 3, 4}).add("layers.2", new long[] {2}, new float[] {1, 2})),
                "expected F32 [4]");
        assertUserError(nativeFile(header("3", "4").add("layers.1", DType.BF16, new long[] {4}, four)), "expected F32 [4]");
        assertUserError(nativeFile(header(null, "4").add("layers.1", new long[] {4}, four)), "n_layers");
        assertUserError(nativeFile(header("3", null).add("layers.1", new long[] {4}, four)), "d_model");
        assertUserError(nativeFile(header("three", "4").add("layers.1", new long[] {4}, four)), "n_layers");
        assertUserError(nativeFile(header("3", "4").metadata("hook", "hook_resid_pre").add("layers.1", new long[] {4}, four)), "hook");

        Path text = dir.resolve("notes.safetensors");
        Files.writeString(text, "hello, this is not a tensor file at all");
        assertUserError(text, "GGUF");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertUserError(empty, "truncated");
        UserError missing = assertThrows(UserError.class, () -> VectorFiles.read(dir.resolve("nope.safetensors")));
        assertTrue(missing.getMessage().contains("nope.safetensors") && missing.getMessage().contains("not found"));
    }
}
