package steerscope.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import steerscope.task.Problem;

/** {@code samples.json}: each problem's greedy completion without and with the vectors, and whether each is correct. */
final class Samples {
    private Samples() {}

    static Map<String, Object> of(List<Problem> problems, List<Completions.Completion> base, List<Completions.Completion> steered) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            Problem p = problems.get(i);
            out.add(Out.map("question", p.question(), "answer", p.answer(),
                    "base", base.get(i).text(), "steered", steered.get(i).text(), "full", null,
                    "base_correct", base.get(i).correct(), "steered_correct", steered.get(i).correct(), "full_correct", null));
        }
        return Out.map("samples", out);
    }
}
