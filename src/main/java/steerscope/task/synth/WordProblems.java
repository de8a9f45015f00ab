package steerscope.task.synth;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Word-problem surface forms of a chain. One sentence gives the start number, then one sentence per operation
 * in chain order, then the question. Every adding phrase says "more" and no subtracting phrase does, so the
 * text alone decides each operator.
 */
final class WordProblems {
    private WordProblems() {}

    private record Person(String name, String subject) {}

    private record Noun(String one, String many) {
        String count(int n) {
            return n + " " + (n == 1 ? one : many);
        }
    }

    private static final List<Person> PEOPLE = List.of(
            new Person("Tom", "He"), new Person("Anna", "She"), new Person("Sam", "He"), new Person("Lily", "She"),
            new Person("Ben", "He"), new Person("Mia", "She"), new Person("Max", "He"), new Person("Zoe", "She"));
    private static final List<Noun> THINGS = List.of(
            new Noun("apple", "apples"), new Noun("marble", "marbles"), new Noun("coin", "coins"),
            new Noun("sticker", "stickers"), new Noun("card", "cards"), new Noun("pencil", "pencils"));
    private static final List<String> CONTAINERS = List.of("box", "jar", "bag", "basket");
    private static final List<Noun> SMALL_THINGS = List.of(
            new Noun("ball", "balls"), new Noun("button", "buttons"), new Noun("shell", "shells"),
            new Noun("bead", "beads"));

    // %d is the operand.
    private static final List<String> PERSON_ADD = List.of("buys %d more", "finds %d more", "gets %d more");
    private static final List<String> PERSON_SUB = List.of("gives away %d", "loses %d", "sells %d");

    static String render(int start, List<ArithmeticProblem.Operation> ops, SplittableRandom rng) {
        return rng.nextBoolean() ? person(start, ops, rng) : container(start, ops, rng);
    }

    private static String person(int start, List<ArithmeticProblem.Operation> ops, SplittableRandom rng) {
        Person p = pick(PEOPLE, rng);
        Noun thing = pick(THINGS, rng);
        StringBuilder sb = new StringBuilder();
        sb.append(p.name()).append(" has ").append(thing.count(start)).append('.');
        for (int i = 0; i < ops.size(); i++) {
            var op = ops.get(i);
            String phrase = String.format(pick(op.operator() == '+' ? PERSON_ADD : PERSON_SUB, rng), op.operand());
            sb.append(' ').append(i == 0 ? p.subject() : "Then " + p.subject().toLowerCase(Locale.ROOT)).append(' ')
                    .append(phrase).append('.');
        }
        sb.append(" How many ").append(thing.many()).append(" does ").append(p.name()).append(" have now?");
        return sb.toString();
    }

    private static String container(int start, List<ArithmeticProblem.Operation> ops, SplittableRandom rng) {
        String box = pick(CONTAINERS, rng);
        Noun thing = pick(SMALL_THINGS, rng);
        StringBuilder sb = new StringBuilder();
        sb.append("A ").append(box).append(" holds ").append(thing.count(start)).append('.');
        for (int i = 0; i < ops.size(); i++) {
            var op = ops.get(i);
            int n = op.operand();
            String verb = n == 1 ? "is" : "are";
            String sentence = op.operator() == '+'
                    ? n + " more " + verb + (rng.nextBoolean() ? " put in" : " added")
                    : n + " " + verb + (rng.nextBoolean() ? " taken out" : " removed");
            sb.append(' ').append(i == 0 ? sentence : "Then " + sentence).append('.');
        }
        sb.append(" How many ").append(thing.many()).append(" are in the ").append(box).append(" now?");
        return sb.toString();
    }

    private static <T> T pick(List<T> list, SplittableRandom rng) {
        return list.get(rng.nextInt(list.size()));
    }
}
