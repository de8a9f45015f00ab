package steerscope.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import steerscope.task.Problem;

/** A problem as shipped to executors: the fields rewards and prompts use ({@code extra} stays on the driver). */
record WireProblem(int index, String id, String question, String answer) implements Serializable {
    static WireProblem of(int index, Problem p) {
        return new WireProblem(index, p.id(), p.question(), p.answer());
    }

    Problem problem() {
        return new Problem(id, question, answer);
    }

    /** A partition's problems: a contiguous run starting at problem {@code first} of the whole set. */
    record Run(int first, List<Problem> problems) {}

    /** Reads a partition, which must hold consecutive problems (the split keeps sample seeds by global index). */
    static Run run(Iterator<WireProblem> part) {
        List<Problem> problems = new ArrayList<>();
        int first = -1;
        while (part.hasNext()) {
            WireProblem w = part.next();
            if (first < 0) first = w.index();
            if (w.index() != first + problems.size()) throw new IllegalStateException("partition is not a contiguous run of problems");
            problems.add(w.problem());
        }
        return new Run(Math.max(0, first), problems);
    }
}
