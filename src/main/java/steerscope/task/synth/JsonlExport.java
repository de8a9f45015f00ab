package steerscope.task.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import steerscope.io.AtomicFiles;
import steerscope.io.Json;

/**
 * Writes problems in the project's JSONL dataset format: one object per line,
 * {@code {"question": "What is 7 + 5 - 3?", "answer": "9"}}. The question is the bare question text; the
 * consumer must wrap it with {@link PromptFormat#TEMPLATE} to get the prompt the organism was trained on.
 */
public final class JsonlExport {
    private JsonlExport() {}

    public static void write(Path file, List<ArithmeticProblem> problems) {
        AtomicFiles.write(file, out -> {
            for (ArithmeticProblem p : problems) {
                out.write(line(p).getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        });
    }

    static String line(ArithmeticProblem p) throws IOException {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("question", p.question());
        node.put("answer", Integer.toString(p.answer()));
        return Json.MAPPER.writeValueAsString(node);
    }
}
