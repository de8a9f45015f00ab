package steerscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;

/** The verify command: one verdict, a file of cases with agreement, and bad input as one line with exit 2. */
class VerifyCommandTest {
    @TempDir
    Path tmp;

    @Test
    void oneCaseAsJson() throws Exception {
        CliTest.Run r = CliTest.run("verify", "--gold", "\\frac{1}{2}", "--pred", "so \\boxed{0.5}", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertTrue(j.get("correct").asBoolean());
        assertEquals("0.5", j.get("pred").asText());
        assertEquals("boxed", j.get("extracted_by").asText());
        assertEquals("boxed-then-fallback", j.get("extraction").asText());
    }

    @Test
    void boxedOnlyNeedsABox() {
        CliTest.Run r = CliTest.run("verify", "--gold", "7", "--pred", "The answer is 7.", "--extraction", "boxed-only");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("incorrect"), r.out());
    }

    @Test
    void fileOfCasesReportsAgreement() throws Exception {
        Path cases = tmp.resolve("cases.jsonl");
        Files.writeString(cases, """
                {"gold": "3", "pred": "\\\\boxed{3}", "expected": true}
                {"gold": "x \\\\le 2", "pred": "\\\\boxed{2 \\\\ge x}", "expected": 1}
                {"gold": "[0,1)", "pred": "\\\\boxed{(0,1)}", "expected": true}
                """);
        CliTest.Run r = CliTest.run("verify", "--file", cases.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, r.out().lines().count(), r.out());
        assertTrue(r.err().contains("agreement: 2 / 3"), r.err());
        assertTrue(r.err().contains("false accepts 0, false rejects 1"), r.err());
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"gold\": \"1\"}\n");
        CliTest.Run r = CliTest.run("verify", "--file", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl: line 1: expected an object with string fields \"gold\" and \"pred\""), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        CliTest.Run missing = CliTest.run("verify", "--gold", "1");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--pred"), missing.err());

        CliTest.Run mode = CliTest.run("verify", "--gold", "1", "--pred", "1", "--extraction", "loose");
        assertEquals(2, mode.code());
        assertFalse(mode.err().contains("Exception"), mode.err());
    }
}
