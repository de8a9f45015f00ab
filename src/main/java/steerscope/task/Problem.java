package steerscope.task;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One task item: a question and its gold answer as a string (e.g. {@code "42"}, {@code "\frac{1}{2}"},
 * {@code "A"}). {@code extra} keeps the other fields of the dataset line (level, subject, the worked
 * solution, ...) so that writing a dataset back loses nothing; it is never shown to the model.
 */
public record Problem(String id, String question, String answer, Map<String, JsonNode> extra) {
    public Problem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    public Problem(String id, String question, String answer) {
        this(id, question, answer, Map.of());
    }
}
