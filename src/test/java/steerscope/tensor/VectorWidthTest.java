package steerscope.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The hardware side of docs/reproducibility.md, checked with child JVMs: the interpreter gives the bits of compiled
 * code (a resumed run must equal an uninterrupted one whenever each loop got compiled), so does a JVM without FMA
 * instructions, and a narrower vector ({@code -XX:MaxVectorSize}, as on an AVX2 machine when this one has AVX-512)
 * changes only the kernels that sum across lanes; the rest are listed in {@link KernelFingerprints#WIDTH_INDEPENDENT}.
 */
class VectorWidthTest {
    @Test
    void theInterpreterGivesTheBitsOfCompiledCode() throws Exception {
        Map<String, String> here = warmFingerprints();
        assertEquals(here, child("-Xint"));
    }

    /** Without FMA instructions the JVM computes fused multiply-adds in software: slower, the same bits. */
    @Test
    void noFmaHardwareGivesTheSameBits() throws Exception {
        assertEquals(warmFingerprints(), child("-XX:-UseFMA"));
    }

    @Test
    void aNarrowerVectorChangesOnlyTheCrossLaneSums() throws Exception {
        int bytes = FloatVector.SPECIES_PREFERRED.vectorByteSize();
        assertTrue(bytes >= 16, "a vector of at least 4 floats, got " + bytes + " bytes");
        Map<String, String> here = warmFingerprints(), narrow = child("-XX:MaxVectorSize=" + bytes / 2);
        List<String> changed = new ArrayList<>();
        for (String kernel : here.keySet()) {
            if (!here.get(kernel).equals(narrow.get(kernel))) changed.add(kernel);
        }
        System.out.printf("L=%d vs L=%d: changed %s%n", bytes / 4, bytes / 8, changed);
        for (String kernel : KernelFingerprints.WIDTH_INDEPENDENT) {
            assertEquals(here.get(kernel), narrow.get(kernel), kernel + " at L=" + bytes / 4 + " vs L=" + bytes / 8);
        }
        // the kernels with a horizontal sum do change: the check compares different widths, not the same run twice
        assertTrue(changed.contains("matmul") && changed.contains("dot"), "changed: " + changed);
    }

    /** The fingerprints after enough runs that the kernels are JIT-compiled. */
    private static Map<String, String> warmFingerprints() {
        for (int i = 0; i < 2000; i++) KernelFingerprints.compute();
        return KernelFingerprints.compute();
    }

    private static Map<String, String> child(String flag) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", flag, "-cp", System.getProperty("java.class.path"),
                KernelFingerprints.class.getName()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child JVM " + flag + " failed: " + out);
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : out.strip().split("\n")) {
            String[] kv = line.split(" ");
            f.put(kv[0], kv[1]);
        }
        return f;
    }
}
