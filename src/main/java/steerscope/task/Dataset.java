package steerscope.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import steerscope.io.AtomicFiles;
import steerscope.io.IoErrors;
import steerscope.io.Json;
import steerscope.util.UserError;
import steerscope.verify.MathVerifier;

/**
 * Reads problem sets as JSONL (one JSON object per line) or Parquet (one row per problem, as the Hugging Face Hub
 * serves datasets; read by DuckDB, see {@link ParquetRows}), and writes them as JSONL. Fields, by default:
 *
 * <ul>
 *   <li>question: the first of {@code question}, {@code problem}, {@code prompt} present;</li>
 *   <li>gold answer: {@code answer} if present (a string or number; GSM8K style text that contains
 *       {@code #### 42} gives what follows the last {@code ####}, commas removed), else the content of the
 *       last {@code \boxed{}} of {@code solution} (MATH style);</li>
 *   <li>id: {@code id} or {@code unique_id} if present, else the line number;</li>
 *   <li>every other field is kept in {@link Problem#extra()}.</li>
 * </ul>
 *
 * Blank lines are skipped. Every bad line is collected and reported in one {@link UserError} naming the
 * file and the line numbers, so a run never starts on half a dataset.
 */
public final class Dataset {
    private static final List<String> QUESTION_FIELDS = List.of("question", "problem", "prompt");
    private static final List<String> ID_FIELDS = List.of("id", "unique_id");
    private static final int ERRORS_SHOWN = 10;

    private Dataset() {}

    /**
     * Which columns hold the question and the gold answer, when they are not the default names (null: the
     * defaults). The answer column's text gives what follows its last {@code ####}, else its last
     * {@code \boxed{}}, else itself.
     */
    public record Fields(String question, String answer) {
        public static final Fields DEFAULT = new Fields(null, null);
    }

    public static List<Problem> load(Path file) {
        return load(file, Fields.DEFAULT);
    }

    /** A JSONL or Parquet file (told apart by content: Parquet starts with "PAR1"). */
    public static List<Problem> load(Path file, Fields fields) {
        if (ParquetRows.isParquet(file)) return fromRecords(file, ParquetRows.read(file), "row", fields);
        return loadJsonl(file, fields);
    }

    /**
     * The shards of one split, read as one dataset (row numbers run on across shards, in the order given); errors
     * name {@code source}, the directory they came from.
     */
    public static List<Problem> load(List<Path> shards, Path source, Fields fields) {
        if (shards.size() == 1) return load(shards.get(0), fields);
        List<String> records = new ArrayList<>();
        for (Path f : shards) records.addAll(ParquetRows.isParquet(f) ? ParquetRows.read(f) : jsonlLines(f));
        return fromRecords(source, records, "row", fields);
    }

    private static List<Problem> loadJsonl(Path file, Fields fields) {
        return fromRecords(file, jsonlLines(file), "line", fields);
    }

    private static List<String> jsonlLines(Path file) {
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (lines.isEmpty() && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a byte-order mark some editors write
                }
                lines.add(line);
            }
        } catch (NoSuchFileException e) {
            throw UserError.inFile(file, "file not found");
        } catch (CharacterCodingException e) {
            throw UserError.inFile(file, "not valid UTF-8 text");
        } catch (IOException e) {
            throw UserError.inFile(file, "cannot read: " + IoErrors.describe(e));
        }
        return lines;
    }

    /** Problems from JSON objects, one per record (a line, or a Parquet row as JSON); blank records are skipped. */
    private static List<Problem> fromRecords(Path file, List<String> records, String unit, Fields fields) {
        List<Problem> problems = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Map<String, Integer> idLine = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            int lineNo = i + 1;
            String line = records.get(i);
            if (line.isBlank()) {
                continue;
            }
            try {
                Problem p = parseLine(line, lineNo, fields);
                Integer first = idLine.putIfAbsent(p.id(), lineNo);
                if (first != null) {
                    throw new BadLine("duplicate id \"" + p.id() + "\" (first on " + unit + " " + first + ")");
                }
                problems.add(p);
            } catch (BadLine e) {
                errors.add(unit + " " + lineNo + ": " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            StringBuilder msg = new StringBuilder();
            msg.append(errors.size()).append(" bad ").append(unit).append(errors.size() == 1 ? "" : "s")
                    .append(unit.equals("line") ? " (expected one JSON object per line with a question/problem/prompt and an answer/solution): "
                            : " (expected a question/problem/prompt column and an answer/solution column, or --field-question/--field-answer): ");
            msg.append(String.join("; ", errors.subList(0, Math.min(ERRORS_SHOWN, errors.size()))));
            if (errors.size() > ERRORS_SHOWN) {
                msg.append("; and ").append(errors.size() - ERRORS_SHOWN).append(" more");
            }
            throw UserError.inFile(file, msg.toString());
        }
        if (problems.isEmpty()) {
            throw UserError.inFile(file, unit.equals("line") ? "no problems in file (expected one JSON object per line)" : "no rows in file");
        }
        return List.copyOf(problems);
    }

    /** Writes the problems as JSONL (id, question, answer, then the extra fields), atomically. */
    public static void write(Path file, List<Problem> problems) {
        StringBuilder out = new StringBuilder();
        for (Problem p : problems) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("id", p.id());
            node.put("question", p.question());
            node.put("answer", p.answer());
            for (var e : p.extra().entrySet()) {
                if (node.has(e.getKey())) {
                    throw new IllegalArgumentException("problem " + p.id() + ": extra field \"" + e.getKey() + "\" clashes with a main field");
                }
                node.set(e.getKey(), e.getValue());
            }
            out.append(Json.write(node)).append('\n');
        }
        AtomicFiles.writeString(file, out.toString());
    }

    private static Problem parseLine(String line, int lineNo, Fields fields) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLine("malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("not a JSON object");
        }
        Map<String, JsonNode> extra = new LinkedHashMap<>();
        // null fields count as absent (and are dropped, so writing the problem back cannot clash)
        node.properties().forEach(e -> {
            if (!e.getValue().isNull()) {
                extra.put(e.getKey(), e.getValue());
            }
        });

        String questionField = fields.question() != null ? present(node, fields.question(), "--field-question")
                : firstPresent(node, QUESTION_FIELDS)
                .orElseThrow(() -> new BadLine("no question field (expected \"question\", \"problem\" or \"prompt\")"));
        JsonNode q = extra.remove(questionField);
        if (!q.isTextual() || q.asText().isBlank()) {
            throw new BadLine("field \"" + questionField + "\" must be a non-empty string");
        }

        String answer;
        if (fields.answer() != null) {
            JsonNode a = extra.remove(present(node, fields.answer(), "--field-answer"));
            answer = goldFromAnswer(a, fields.answer(), true);
        } else if (node.hasNonNull("answer")) {
            answer = goldFromAnswer(extra.remove("answer"), "answer", false);
        } else if (node.hasNonNull("solution")) {
            JsonNode s = extra.remove("solution");
            if (!s.isTextual()) {
                throw new BadLine("field \"solution\" must be a string");
            }
            answer = MathVerifier.boxedAnswer(s.asText())
                    .orElseThrow(() -> new BadLine("field \"solution\" has no \\boxed{...} answer"));
        } else {
            throw new BadLine("no answer field (expected \"answer\" or \"solution\")");
        }

        String id = String.valueOf(lineNo);
        Optional<String> idField = firstPresent(node, ID_FIELDS);
        if (idField.isPresent()) {
            JsonNode idNode = extra.remove(idField.get());
            if (!(idNode.isTextual() || idNode.isIntegralNumber()) || idNode.asText().isBlank()) {
                throw new BadLine("field \"" + idField.get() + "\" must be a non-empty string or an integer");
            }
            id = idNode.asText();
        }
        return new Problem(id, q.asText(), answer, extra);
    }

    private static String goldFromAnswer(JsonNode a, String field, boolean named) {
        String text;
        if (a.isTextual()) {
            text = a.asText();
        } else if (a.isNumber()) {
            text = a.asText();
        } else {
            throw new BadLine("field \"" + field + "\" must be a string or a number");
        }
        int hashes = text.lastIndexOf("####");
        if (hashes >= 0) {
            // GSM8K: worked solution, then "#### 1,234"
            text = text.substring(hashes + 4).replace(",", "").strip();
            if (text.isEmpty()) {
                throw new BadLine("field \"" + field + "\" has nothing after ####");
            }
            return text;
        }
        if (named) {
            // a column named by --field-answer may hold a worked solution: its last \boxed{} is the answer
            Optional<String> boxed = MathVerifier.boxedAnswer(text);
            if (boxed.isPresent()) return boxed.get();
        }
        text = text.strip();
        if (text.isEmpty()) {
            throw new BadLine("field \"" + field + "\" is empty");
        }
        return text;
    }

    private static String present(JsonNode node, String field, String option) {
        if (!node.hasNonNull(field)) throw new BadLine("no field \"" + field + "\" (named by " + option + ")");
        return field;
    }

    private static Optional<String> firstPresent(JsonNode node, List<String> fields) {
        return fields.stream().filter(f -> node.has(f) && !node.get(f).isNull()).findFirst();
    }

    /** A reason one line is bad; collected, never thrown out of {@link #load}. */
    private static final class BadLine extends RuntimeException {
        BadLine(String message) {
            super(message, null, false, false);
        }
    }
}
