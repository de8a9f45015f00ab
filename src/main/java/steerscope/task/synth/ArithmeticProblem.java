package steerscope.task.synth;

import java.util.ArrayList;
import java.util.List;

/**
 * One chain problem: a start number followed by operations applied strictly left to right, e.g.
 * {@code 7 + 5 - 3}. Only {@code +} and {@code -} are used, so the ordinary reading of the chain is already
 * left to right and no parentheses or precedence rules are needed. {@link #question()} is the surface text
 * shown to the model (symbolic or a word problem); {@link #canonical()} is the chain itself, which decides the
 * train/test split, so every surface form of one chain falls on the same side.
 *
 * @param start      the first number
 * @param operations the operations, in order (at least one)
 * @param question   the surface text of the question, e.g. {@code "What is 7 + 5 - 3?"}
 */
public record ArithmeticProblem(int start, List<Operation> operations, String question) {

    /** One operation: {@code operator} is {@code '+'} or {@code '-'}. */
    public record Operation(char operator, int operand) {
        public Operation {
            if (operator != '+' && operator != '-') {
                throw new IllegalArgumentException("operator must be + or -, got '" + operator + "'");
            }
        }

        public int apply(int value) {
            return operator == '+' ? value + operand : value - operand;
        }
    }

    public ArithmeticProblem {
        operations = List.copyOf(operations);
        if (operations.isEmpty()) {
            throw new IllegalArgumentException("a problem needs at least one operation");
        }
    }

    /** Number of operations, i.e. of single steps a step-by-step answer takes. */
    public int depth() {
        return operations.size();
    }

    /** The value after each operation; the last one is the answer. */
    public List<Integer> values() {
        List<Integer> out = new ArrayList<>(operations.size());
        int v = start;
        for (Operation op : operations) {
            v = op.apply(v);
            out.add(v);
        }
        return out;
    }

    public int answer() {
        return values().getLast();
    }

    /** The chain as text, {@code "7 + 5 - 3"}: the problem's identity, whatever its surface form. */
    public String canonical() {
        StringBuilder sb = new StringBuilder().append(start);
        for (Operation op : operations) {
            sb.append(' ').append(op.operator()).append(' ').append(op.operand());
        }
        return sb.toString();
    }

    /** The i-th single step as an equation, {@code "12 - 3 = 9"} (i from 0). */
    public String equation(int i) {
        return equation(i, i + 1);
    }

    /**
     * Operations {@code from} (inclusive) to {@code to} (exclusive) as one equation on the running value,
     * {@code "12 - 3 + 4 = 13"}: several facts at once when the range holds more than one operation.
     */
    public String equation(int from, int to) {
        int left = from == 0 ? start : values().get(from - 1);
        return expression(left, from, to) + " = " + apply(left, from, to);
    }

    /** {@code left} followed by operations {@code from} to {@code to} (exclusive), {@code "12 - 3 + 4"}. */
    public String expression(int left, int from, int to) {
        StringBuilder sb = new StringBuilder().append(left);
        for (int k = from; k < to; k++) sb.append(' ').append(operations.get(k).operator()).append(' ').append(operations.get(k).operand());
        return sb.toString();
    }

    /** The value of {@code left} after operations {@code from} to {@code to} (exclusive). */
    public int apply(int left, int from, int to) {
        int v = left;
        for (int k = from; k < to; k++) v = operations.get(k).apply(v);
        return v;
    }
}
