package steerscope.task.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test-side reading of a question's text back into numbers and operators, written from the text's rules
 * (symbols; or one number per sentence with "more" meaning add), not from the generator's code.
 */
record ChainText(List<Integer> numbers, List<Character> operators) {
    private static final Pattern SYMBOLIC = Pattern.compile("^(?:What is (.*)\\?|Calculate (.*)\\.)$");
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    static ChainText parse(String question) {
        Matcher m = SYMBOLIC.matcher(question);
        List<Integer> numbers = new ArrayList<>();
        List<Character> ops = new ArrayList<>();
        if (m.matches()) {
            String[] tok = (m.group(1) != null ? m.group(1) : m.group(2)).split(" ");
            numbers.add(Integer.parseInt(tok[0]));
            for (int i = 1; i < tok.length; i += 2) {
                if (tok[i].length() != 1 || "+-".indexOf(tok[i].charAt(0)) < 0) {
                    throw new AssertionError("bad operator '" + tok[i] + "' in " + question);
                }
                ops.add(tok[i].charAt(0));
                numbers.add(Integer.parseInt(tok[i + 1]));
            }
            return new ChainText(numbers, ops);
        }
        String[] sentences = question.split("(?<=[.?]) ");
        for (int i = 0; i < sentences.length; i++) {
            Matcher n = NUMBER.matcher(sentences[i]);
            if (!n.find()) {
                continue;
            }
            numbers.add(Integer.parseInt(n.group()));
            if (n.find()) {
                throw new AssertionError("two numbers in one sentence: " + sentences[i]);
            }
            if (i > 0) {
                ops.add(sentences[i].contains(" more") ? '+' : '-');
            }
        }
        if (!sentences[sentences.length - 1].startsWith("How many") || numbers.isEmpty()) {
            throw new AssertionError("not a word problem: " + question);
        }
        return new ChainText(numbers, ops);
    }

    /** Values after each operation, evaluated left to right. */
    List<Integer> values() {
        List<Integer> out = new ArrayList<>();
        int v = numbers.getFirst();
        for (int i = 0; i < operators.size(); i++) {
            v = operators.get(i) == '+' ? v + numbers.get(i + 1) : v - numbers.get(i + 1);
            out.add(v);
        }
        return out;
    }
}
