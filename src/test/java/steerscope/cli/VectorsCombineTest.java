package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.model.SteeringVectors;
import steerscope.steer.GgufControlVector;
import steerscope.steer.VectorFiles;

/** {@code vectors combine}: weighted sums with known answers, layer restriction, GGUF output, and shape mismatches refused. */
class VectorsCombineTest {
    @TempDir
    Path dir;

    /** Vectors with value base + i at index i on the given layers. */
    private Path file(String name, int nLayers, int d, int[] layers, float base) {
        SteeringVectors v = SteeringVectors.zeros(nLayers, d, layers);
        for (int l : layers) for (int i = 0; i < d; i++) v.get(l)[i] = base + i + 10 * l;
        v.metadata().put("base_model", "organism");
        v.metadata().put("train_config", name);
        Path p = dir.resolve(name + ".safetensors");
        VectorFiles.write(v, p);
        return p;
    }

    @Test
    void weightedSumLayerByLayerWithMissingLayersAsZero() {
        Path a = file("a", 4, 3, new int[] {1, 2}, 1f), b = file("b", 4, 3, new int[] {2, 3}, -3f);
        Path out = dir.resolve("c.safetensors");
        CliTest.Run r = CliTest.run("vectors", "combine", a.toString(), b.toString(), "--weights", "0.5,2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        SteeringVectors c = VectorFiles.read(out);
        for (int i = 0; i < 3; i++) {
            assertEquals(0.5f * (1 + i + 10), c.get(1)[i], 1e-6f, "layer 1 only in a");
            assertEquals(0.5f * (1 + i + 20) + 2f * (-3 + i + 20), c.get(2)[i], 1e-6f, "layer 2 in both");
            assertEquals(2f * (-3 + i + 30), c.get(3)[i], 1e-6f, "layer 3 only in b");
        }
        assertNull(c.get(0));
        assertEquals("organism", c.metadata().get("base_model"), "provenance both inputs share carries over");
        assertNull(c.metadata().get("train_config"), "provenance the inputs disagree on does not");
        assertTrue(c.metadata().get("combined").contains("0.5 * " + a), c.metadata().toString());
    }

    @Test
    void layersRestrictTheResultAndGgufIsWritten() {
        Path a = file("a", 4, 3, new int[] {1, 2, 3}, 1f), b = file("b", 4, 3, new int[] {1, 2, 3}, 2f);
        Path out = dir.resolve("c.gguf");
        CliTest.Run r = CliTest.run("vectors", "combine", a.toString(), b.toString(), "--layers", "2,3", "--format", "gguf", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        SteeringVectors c = GgufControlVector.read(out, 4);
        assertEquals(List.of(2, 3), Arrays.stream(c.layers()).boxed().toList());
        assertEquals(1 + 2 + 2 * 20, c.get(2)[0], 1e-6f, "default weights are 1 each: the plain sum");
    }

    @Test
    void shapeMismatchNamesBothFilesAndTheField() {
        Path a = file("a", 4, 3, new int[] {1}, 1f), b = file("b", 4, 5, new int[] {1}, 1f), c = file("c", 6, 3, new int[] {1}, 1f);
        Path out = dir.resolve("out.safetensors");
        CliTest.Run r = CliTest.run("vectors", "combine", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(a.toString()) && r.err().contains(b.toString()) && r.err().contains("d_model"), r.err());
        r = CliTest.run("vectors", "combine", a.toString(), c.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("n_layers"), r.err());
        r = CliTest.run("vectors", "combine", a.toString(), a.toString(), "--weights", "1", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--weights"), r.err());
        r = CliTest.run("vectors", "combine", a.toString(), "--layers", "3", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("layer 3"), r.err());
        assertFalse(Files.exists(out), "nothing written on bad input");
    }
}
