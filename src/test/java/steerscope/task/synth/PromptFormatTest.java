package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;

class PromptFormatTest {

    @Test
    void promptAndDocumentHaveTheAgreedShape() {
        var p = new ArithmeticProblem(7, List.of(new ArithmeticProblem.Operation('+', 5),
                new ArithmeticProblem.Operation('-', 3)), "What is 7 + 5 - 3?");
        assertEquals("Question: What is 7 + 5 - 3?\nAnswer:", PromptFormat.prompt(p));
        assertEquals("Question: What is 7 + 5 - 3?\nAnswer: Step 1: 7 + 5 = 12.\nStep 2: 12 - 3 = 9.\n"
                + "The answer is \\boxed{9}.", PromptFormat.document(p, AnswerStyle.STEPS));
        assertEquals("Question: What is 7 + 5 - 3?\nAnswer: The answer is \\boxed{9}.",
                PromptFormat.document(p, AnswerStyle.DIRECT));
        assertEquals(" Step 1:", PromptFormat.forcedPrefix(AnswerStyle.STEPS));
        assertEquals("<|endoftext|>", PromptFormat.END_OF_TEXT);
        assertFalse(PromptFormat.document(p, AnswerStyle.FIRST).contains(PromptFormat.END_OF_TEXT));
    }

    @Test
    void finalAnswerReadsOnlyTheLastBox() {
        assertEquals(OptionalInt.of(9), PromptFormat.finalAnswer("x \\boxed{3} then \\boxed{9}."));
        assertEquals(OptionalInt.of(12), PromptFormat.finalAnswer("The answer is \\boxed{ 12 }."));
        assertEquals(OptionalInt.empty(), PromptFormat.finalAnswer("The answer is 9."));
        assertEquals(OptionalInt.empty(), PromptFormat.finalAnswer("\\boxed{9} and \\boxed{nine}"));
        assertEquals(OptionalInt.empty(), PromptFormat.finalAnswer("The answer is \\boxed{9"));
    }

    @Test
    void jsonlExportRoundTripsThroughJackson(@TempDir Path dir) throws Exception {
        var test = new HeldOutSplit(ArithmeticGenerator.Config.DEFAULT).testSet(200, 3);
        Path file = dir.resolve("test.jsonl");
        JsonlExport.write(file, test);
        List<String> lines = Files.readAllLines(file);
        assertEquals(200, lines.size());
        boolean sawWordProblem = false;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = Json.MAPPER.readTree(lines.get(i));
            assertEquals(2, node.size(), lines.get(i));
            String q = node.get("question").asText();
            assertEquals(test.get(i).question(), q);
            assertTrue(node.get("answer").isTextual());
            assertEquals(Integer.toString(ChainText.parse(q).values().getLast()), node.get("answer").asText());
            sawWordProblem |= q.startsWith("A ") || q.contains("How many");
        }
        assertTrue(sawWordProblem);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temp files left behind");
        }
    }
}
