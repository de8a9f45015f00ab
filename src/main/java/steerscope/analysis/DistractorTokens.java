package steerscope.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import steerscope.io.Json;
import steerscope.model.HfModelExport;
import steerscope.util.UserError;

/** The token ids of a model organism's distractor language: {@code {"ids": [...]}}, by default next to the model. */
public final class DistractorTokens {
    private DistractorTokens() {}

    /** The ids in {@code file}; a clear error naming the file and field when it is malformed. */
    public static Set<Integer> read(Path file) {
        JsonNode ids = Json.read(file).path("ids");
        if (!ids.isArray()) throw UserError.inFile(file, "field 'ids': expected an array of token ids");
        Set<Integer> out = new LinkedHashSet<>();
        for (JsonNode n : ids) {
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) throw UserError.inFile(file, "field 'ids': expected non-negative integers, got " + n);
            out.add(n.asInt());
        }
        return out;
    }

    /** The list next to the model ({@value HfModelExport#DISTRACTOR_TOKENS_FILE} in its directory), or null when there is none. */
    public static Set<Integer> nextToModel(Path modelDir) {
        Path f = modelDir == null ? null : modelDir.resolve(HfModelExport.DISTRACTOR_TOKENS_FILE);
        return f != null && Files.isRegularFile(f) ? read(f) : null;
    }
}
