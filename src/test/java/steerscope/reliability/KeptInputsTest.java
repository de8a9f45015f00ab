package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import steerscope.model.HfModelExport;
import steerscope.model.Model;
import steerscope.rl.TinyPolicy;
import steerscope.tokenizer.Tokenizer;
import steerscope.util.UserError;

/**
 * The inputs the fuzz tests found crashing a parser (kept under src/test/resources/reliability/PARSER/):
 * each is now a one-line UserError naming the file.
 */
class KeptInputsTest {
    @TempDir
    Path tmp;

    static Stream<String> kept() throws IOException, URISyntaxException {
        Path root = Path.of(KeptInputsTest.class.getResource("/reliability").toURI());
        try (Stream<Path> files = Files.walk(root)) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
            assertFalse(names.isEmpty());
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kept")
    void keptInputIsAClearError(String name) throws Exception {
        Path input = Path.of(KeptInputsTest.class.getResource("/reliability/" + name).toURI());
        UserError e;
        String fileName;
        switch (name.substring(0, name.indexOf('/'))) {
            case "tokenizer" -> {
                fileName = "tokenizer.json";
                Path file = Files.copy(input, tmp.resolve(fileName));
                e = assertThrows(UserError.class, () -> Tokenizer.load(file));
            }
            case "config" -> {
                fileName = "config.json";
                Path dir = Files.createDirectories(tmp.resolve("model"));
                HfModelExport.write(new TinyPolicy(dir, 3).vectors().model, dir);
                Files.copy(input, dir.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
                e = assertThrows(UserError.class, () -> Model.load(dir).close());
            }
            default -> throw new AssertionError("no loader for kept input " + name);
        }
        assertTrue(e.getMessage().contains(fileName), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
