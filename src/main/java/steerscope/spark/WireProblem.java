package steerscope.spark;

import java.io.Serializable;
import steerscope.task.Problem;

/** A problem as shipped to executors: the fields rewards and prompts use ({@code extra} stays on the driver). */
record WireProblem(int index, String id, String question, String answer) implements Serializable {
    static WireProblem of(int index, Problem p) {
        return new WireProblem(index, p.id(), p.question(), p.answer());
    }

    Problem problem() {
        return new Problem(id, question, answer);
    }
}
