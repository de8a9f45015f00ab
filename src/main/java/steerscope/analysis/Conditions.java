package steerscope.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import steerscope.io.Json;
import steerscope.model.Model;
import steerscope.model.Steering;
import steerscope.task.Problem;
import steerscope.tokenizer.Tokenizer;

/**
 * The sampled accuracies of an experiment's conditions, each kept in {@code dir/NAME.json} (per-problem fraction
 * correct, written atomically) as soon as it is measured, so an experiment killed halfway resumes with what it
 * had. A kept condition is reused only when it was measured with the same key (model, vectors, problems, options).
 */
final class Conditions {
    private final Path dir;
    private final String key;

    /** @param key everything the per-problem numbers depend on besides the condition's name */
    Conditions(Path dir, String key) {
        this.dir = dir;
        this.key = key;
    }

    /** Per-problem fraction correct of one condition: read back, or sampled now and kept. */
    double[] perProblem(String name, Model model, Tokenizer tokenizer, List<Problem> problems, List<int[]> prompts, Steering steering,
                        Sampled.Options opt) {
        Path f = dir.resolve(name + ".json");
        if (Files.isRegularFile(f)) {
            JsonNode n = Json.read(f);
            if (key.equals(n.path("key").asText()) && n.path("per_problem").size() == problems.size()) {
                double[] per = new double[problems.size()];
                for (int i = 0; i < per.length; i++) per[i] = n.path("per_problem").get(i).asDouble();
                return per;
            }
        }
        double[] per = Sampled.run(model, tokenizer, problems, prompts, steering, null, opt).perProblem();
        Out.write(dir, name + ".json", Out.map("key", key, "per_problem", per));
        return per;
    }
}
