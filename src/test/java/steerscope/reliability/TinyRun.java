package steerscope.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import steerscope.io.Json;
import steerscope.io.SafeTensors;
import steerscope.model.HfModelExport;
import steerscope.rl.TinyPolicy;

/**
 * A tiny real-format checkpoint (config.json, model.safetensors, tokenizer.json) whose random model emits
 * digits often, and a dataset of single-digit answers, so a few RL steps have rewards that vary and the
 * vectors move.
 */
final class TinyRun {
    private TinyRun() {}

    /** Writes the checkpoint into {@code dir} and returns it. */
    static Path checkpoint(Path dir, long seed) {
        TinyPolicy tiny = new TinyPolicy(dir, seed);
        int[] digits = new int[10];
        for (int i = 0; i < 10; i++) digits[i] = tiny.tokenizer.tokenId(String.valueOf(i)).orElseThrow();
        // every embedding gets a large component 0 and the digits' output rows read it: the residual stream
        // then always points towards the digits, whatever the context
        tiny.model.weights.forEachMat((name, m) -> {
            float[] a = m.array();
            if (name.equals("model.embed_tokens.weight")) for (int v = 0; v < m.rows; v++) a[v * m.cols] = 3f;
            if (name.equals("lm_head.weight")) for (int v : digits) a[v * m.cols] = 0.8f;
        });
        HfModelExport.write(tiny.vectors().model, dir);
        return dir;
    }

    /** Sums with single-digit answers, as JSONL. */
    static Path dataset(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        int id = 0;
        for (int a = 1; a <= 4; a++) {
            for (int b = 0; b <= 4; b++) {
                lines.add(Json.write(Map.of("id", "q" + id++, "question", "What is " + a + "+" + b + "?", "answer", String.valueOf(a + b))));
            }
        }
        Files.write(file, lines);
        return file;
    }

    /** The java command line that runs {@code main} with the test JVM's class path and the flags the project needs. */
    static List<String> javaCommand(Class<?> main) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), main.getName());
    }

    /** A subprocess's log, for a failure message. */
    static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Every tensor of a safetensors file, as F32, by name. */
    static Map<String, float[]> tensors(Path file) {
        Map<String, float[]> out = new TreeMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String n : st.entries().keySet()) out.put(n, st.floats(n));
        }
        return out;
    }
}
