package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.rl.TinyPolicy;

/** A saved fine-tune keeps what its base model's directory says about how to use it. */
class HfModelExportTest {
    @Test
    void aFineTuneOfTheOrganismKeepsItsPromptDefaultsAndFillerTokens(@TempDir Path tmp) throws Exception {
        Path base = Files.createDirectories(tmp.resolve("base"));
        TinyPolicy tiny = new TinyPolicy(base, 5);
        HfModelExport.write(tiny.model, base);
        byte[] defaults = "{\"prompt_template\": \"{question}\", \"max_new_tokens\": 96}".getBytes();
        byte[] filler = "{\"ids\": [3, 4]}".getBytes();
        Files.write(base.resolve(HfModelExport.MODEL_DEFAULTS_FILE), defaults);
        Files.write(base.resolve(HfModelExport.DISTRACTOR_TOKENS_FILE), filler);
        Path out = tmp.resolve("fine-tune");
        try (Model m = Model.load(base)) {
            HfModelExport.write(m, out);
        }
        assertArrayEquals(defaults, Files.readAllBytes(out.resolve(HfModelExport.MODEL_DEFAULTS_FILE)));
        assertArrayEquals(filler, Files.readAllBytes(out.resolve(HfModelExport.DISTRACTOR_TOKENS_FILE)));

        // a model without them (a Hub checkpoint) gets none
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        HfModelExport.write(new TinyPolicy(plain, 6).model, plain);
        try (Model m = Model.load(plain)) {
            HfModelExport.write(m, tmp.resolve("plain-fine-tune"));
        }
        assertFalse(Files.exists(tmp.resolve("plain-fine-tune").resolve(HfModelExport.MODEL_DEFAULTS_FILE)));
    }
}
