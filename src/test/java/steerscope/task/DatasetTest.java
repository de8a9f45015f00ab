package steerscope.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.util.UserError;

class DatasetTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void readsTheThreeLayouts() throws IOException {
        Path f = file(
                "{\"question\": \"Natalia sold 48 clips...\", \"answer\": \"She sold 48/2 = 24.\\n#### 1,072\"}",
                "",
                "{\"problem\": \"What is 1/2 + 1/4?\", \"solution\": \"We get $\\\\boxed{1}$ no wait $\\\\boxed{\\\\frac{3}{4}}$.\", \"level\": \"Level 2\"}",
                "   ",
                "{\"prompt\": \"Pick one\", \"answer\": \"B\", \"id\": \"mc-7\"}",
                "{\"question\": \"How many?\", \"answer\": 12, \"unique_id\": 99}");
        List<Problem> ps = Dataset.load(f);
        assertEquals(4, ps.size());

        assertEquals("1", ps.get(0).id());                  // line number when no id field
        assertEquals("Natalia sold 48 clips...", ps.get(0).question());
        assertEquals("1072", ps.get(0).answer());           // after ####, comma removed

        assertEquals("3", ps.get(1).id());
        assertEquals("\\frac{3}{4}", ps.get(1).answer());   // last \boxed of the solution
        assertEquals("Level 2", ps.get(1).extra().get("level").asText());
        assertFalse(ps.get(1).extra().containsKey("solution")); // consumed as the answer

        assertEquals("mc-7", ps.get(2).id());
        assertEquals("Pick one", ps.get(2).question());
        assertEquals("B", ps.get(2).answer());

        assertEquals("99", ps.get(3).id());
        assertEquals("12", ps.get(3).answer());
    }

    @Test
    void answerFieldWinsOverSolutionWhichIsKept() throws IOException {
        Path f = file("{\"problem\": \"p\", \"answer\": \"5\", \"solution\": \"so \\\\boxed{6}\"}");
        Problem p = Dataset.load(f).get(0);
        assertEquals("5", p.answer());
        assertEquals("so \\boxed{6}", p.extra().get("solution").asText());
    }

    @Test
    void reportsEveryBadLineAtOnce() throws IOException {
        Path f = file(
                "{\"question\": \"ok\", \"answer\": \"1\"}",
                "{\"question\": \"broken\", ",
                "[1, 2]",
                "{\"answer\": \"3\"}",
                "{\"question\": \"q\"}",
                "{\"question\": \"\", \"answer\": \"3\"}",
                "{\"question\": \"q\", \"solution\": \"no box here\"}",
                "{\"question\": \"q\", \"answer\": \"reasoning ####  \"}",
                "{\"question\": \"q\", \"answer\": \"  \"}",
                "{\"question\": \"q\", \"answer\": [1]}",
                "{\"id\": \"a\", \"question\": \"q\", \"answer\": \"1\"}",
                "{\"id\": \"a\", \"question\": \"q\", \"answer\": \"2\"}");
        UserError e = assertThrows(UserError.class, () -> Dataset.load(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f.toString()), m);
        assertTrue(m.contains("10 bad lines"), m);
        for (int line = 2; line <= 10; line++) {
            assertTrue(m.contains("line " + line + ":"), "line " + line + " missing in: " + m);
        }
        assertTrue(m.contains("line 12: duplicate id \"a\" (first on line 11)"), m);
        assertFalse(m.contains("line 1:"), m);
        assertFalse(m.contains("line 11:"), m);
        assertTrue(m.contains("line 2: malformed JSON"), m);
        assertTrue(m.contains("line 3: not a JSON object"), m);
        assertTrue(m.contains("line 4: no question field"), m);
        assertTrue(m.contains("line 5: no answer field"), m);
        assertTrue(m.contains("line 7: field \"solution\" has no \\boxed"), m);
        assertTrue(m.contains("line 8: field \"answer\" has nothing after ####"), m);
        assertFalse(m.contains("\n"), "one-line message");
    }

    @Test
    void manyBadLinesAreCountedAfterTheFirstTen() throws IOException {
        String[] lines = new String[25];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = "not json " + i;
        }
        UserError e = assertThrows(UserError.class, () -> Dataset.load(file(lines)));
        assertTrue(e.getMessage().contains("25 bad lines"), e.getMessage());
        assertTrue(e.getMessage().contains("line 10:"), e.getMessage());
        assertFalse(e.getMessage().contains("line 11:"), e.getMessage());
        assertTrue(e.getMessage().contains("and 15 more"), e.getMessage());
    }

    @Test
    void emptyAndMissingFilesAreUserErrors() throws IOException {
        UserError empty = assertThrows(UserError.class, () -> Dataset.load(file("", "  ")));
        assertTrue(empty.getMessage().contains("no problems"), empty.getMessage());
        Path missing = dir.resolve("nope.jsonl");
        UserError e = assertThrows(UserError.class, () -> Dataset.load(missing));
        assertTrue(e.getMessage().contains("nope.jsonl") && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void writeThenLoadGivesTheSameProblems() throws IOException {
        Path f = file(
                "{\"problem\": \"p1 with \\\"quotes\\\" and ünïcode\", \"solution\": \"\\\\boxed{\\\\frac{1}{2}}\", \"level\": 3, \"tags\": [\"a\", \"b\"]}",
                "{\"question\": \"q2\", \"answer\": \"x #### 7\", \"id\": \"k\"}");
        List<Problem> original = Dataset.load(f);
        Path out = dir.resolve("sub/out.jsonl");
        Dataset.write(out, original);
        assertEquals(original, Dataset.load(out));
        assertEquals(2, Files.readAllLines(out).size());
        try (var listing = Files.list(out.getParent())) {
            assertEquals(1, listing.count(), "no temporary file left behind");
        }
    }

    @Test
    void programmaticProblemsRoundTrip() {
        List<Problem> ps = List.of(new Problem("a", "What is 2+2?", "4"), new Problem("b", "Name?", "Bob"));
        Path out = dir.resolve("made.jsonl");
        Dataset.write(out, ps);
        assertEquals(ps, Dataset.load(out));
    }
}
