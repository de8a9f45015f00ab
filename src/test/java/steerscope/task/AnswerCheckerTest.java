package steerscope.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hand-written cases from the rules of AnswerChecker and the verifier behind it (none copied from their output). */
class AnswerCheckerTest {
    private final AnswerChecker checker = new AnswerChecker();

    // ---- equivalent(predicted, gold): {predicted, gold, expected} ----
    static Stream<Arguments> equivalences() {
        return Stream.of(
                // plain integers and separators
                Arguments.of("42", "42", true),
                Arguments.of("1,234", "1234", true),
                Arguments.of("1234", "1,234", true),
                Arguments.of("1,234,567", "1234567", true),
                Arguments.of("1{,}234", "1234", true),
                Arguments.of("1\\,234", "1234", true),
                Arguments.of("1,23", "123", false),        // not a thousands grouping
                Arguments.of("1,234", "1.234", false),
                Arguments.of("12", "120", false),
                Arguments.of("120", "12", false),
                Arguments.of("007", "7", true),
                // signs
                Arguments.of("-5", "5", false),
                Arguments.of("5", "-5", false),
                Arguments.of("-5", "-5", true),
                Arguments.of("\u22125", "-5", true),        // unicode minus
                Arguments.of("- 5", "-5", true),
                Arguments.of("+5", "5", true),
                // decimals
                Arguments.of("3.50", "3.5", true),
                Arguments.of("0.5", ".5", true),
                Arguments.of("18.00", "18", true),
                Arguments.of("3.05", "3.5", false),
                Arguments.of("2.0001", "2", false),
                // fractions, exact
                Arguments.of("1/2", "0.5", true),
                Arguments.of("1/2", "2/1", false),
                Arguments.of("0.333", "1/3", false),
                Arguments.of("0.3333333333", "\\frac{1}{3}", true),  // math_verify rounds decimals to 6 places
                Arguments.of("0.3333", "\\frac{1}{3}", false),
                Arguments.of("\\frac{1}{2}", "0.5", true),
                Arguments.of("\\dfrac{3}{4}", "0.75", true),
                Arguments.of("\\tfrac{3}{4}", "3/4", true),
                Arguments.of("\\frac12", "1/2", true),
                Arguments.of("\\frac{2}{4}", "\\frac{1}{2}", true),
                Arguments.of("\\frac{-1}{2}", "-0.5", true),
                Arguments.of("-\\frac{1}{2}", "\\frac{-1}{2}", true),
                Arguments.of("\\frac{1}{2}", "\\frac{1}{3}", false),
                Arguments.of("6/4", "3/2", true),
                Arguments.of("1/0", "1", false),
                // mixed numbers
                Arguments.of("3\\frac{1}{2}", "3.5", true),
                Arguments.of("2 1/2", "5/2", true),
                Arguments.of("2 1/2", "21/2", false),
                // percentages: either reading is accepted
                Arguments.of("50\\%", "50", true),
                Arguments.of("50%", "0.5", true),
                Arguments.of("50", "50%", true),
                Arguments.of("0.5", "50\\%", true),
                Arguments.of("50 percent", "50", true),
                Arguments.of("50%", "5", false),
                Arguments.of("25%", "50", false),
                // units and currency
                Arguments.of("$18", "18", true),
                Arguments.of("\\$18", "18", true),
                Arguments.of("\\$18.00", "18", true),
                Arguments.of("18 dollars", "18", true),
                Arguments.of("18 cm", "18", true),
                Arguments.of("18cm", "18", true),
                Arguments.of("18\\text{ cm}", "18", true),
                Arguments.of("18 \\mathrm{cm}^2", "18", true),
                Arguments.of("18 dollars", "19", false),
                Arguments.of("2x", "2", false),           // a glued variable is not a unit
                Arguments.of("5 or 7", "5", false),       // a hedge is not an answer
                Arguments.of("5 apples and 7 pears", "5", false),
                Arguments.of("12 m^{2}", "12", true),
                Arguments.of("12 \\text{m}^2", "12", true),
                Arguments.of("90^\\circ", "90", true),
                Arguments.of("90^{\\circ}", "90", true),
                Arguments.of("90°", "90", true),
                Arguments.of("18", "18 cm", true),        // units on the gold side too
                // LaTeX wrappers
                Arguments.of("$42$", "42", true),
                Arguments.of("\\(42\\)", "42", true),
                Arguments.of("\\text{42}", "42", true),
                Arguments.of("\\mathbf{42}", "42", true),
                Arguments.of("\\left( 3 \\right)", "3", true),
                Arguments.of("\\boxed{7}", "7", true),
                Arguments.of("**42**", "42", true),
                Arguments.of("42.", "42", true),
                Arguments.of("x = 5", "5", true),
                Arguments.of("x=5", "6", false),
                // arithmetic, evaluated exactly
                Arguments.of("2+3", "5", true),
                Arguments.of("2 \\times 3", "6", true),
                Arguments.of("2 \\cdot 3 + 1", "7", true),
                Arguments.of("(1+2)*3", "9", true),
                Arguments.of("1+2*3", "9", false),
                Arguments.of("12 \\div 4", "3", true),
                Arguments.of("2^{10}", "1024", true),
                Arguments.of("2^3", "8", true),
                Arguments.of("10^{-2}", "0.01", true),
                Arguments.of("\\sqrt{4}", "2", true),
                Arguments.of("\\sqrt{\\frac{9}{4}}", "1.5", true),
                Arguments.of("2+3=5", "5", true),
                Arguments.of("-2^2", "-4", true),
                Arguments.of("1.5 \\times 10^{3}", "1500", true),
                // no number where one is needed
                Arguments.of("five", "5", false),
                Arguments.of("", "5", false),
                Arguments.of("5", "", false),
                Arguments.of("abc", "12", false),
                // tuples
                Arguments.of("(1, 2)", "1,2", true),
                Arguments.of("(1,2)", "(1, 2)", true),
                Arguments.of("(2, 1)", "(1, 2)", false),
                Arguments.of("(1, 2, 3)", "(1, 2)", false),
                Arguments.of("[1, 2)", "(1, 2)", false),
                Arguments.of("(\\frac{1}{2}, 3)", "(0.5, 3)", true),
                // text answers
                Arguments.of("A", "A", true),
                Arguments.of("(A)", "A", true),
                Arguments.of("\\text{(B)}", "B", true),
                Arguments.of("B", "A", false),
                Arguments.of("Yes", "yes", true),
                Arguments.of("yes.", "Yes", true),
                Arguments.of("no", "yes", false),
                Arguments.of("x^2 + 1", "x^2+1", true),
                Arguments.of("x^2+2", "x^2+1", false),
                Arguments.of("y = 2x + 3", "2x+3", true),
                Arguments.of("\\frac{\\sqrt3}{2}", "\\frac{\\sqrt{3}}{2}", true),
                Arguments.of("\\dfrac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{2}", true),
                Arguments.of("\\frac{\\sqrt{2}}{2}", "\\frac{\\sqrt{3}}{2}", false),
                Arguments.of("2\\pi", "2 \\pi", true),
                Arguments.of("\\left[ 0, 1 \\right]", "[0,1]", true));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" vs gold \"{1}\" -> {2}")
    @MethodSource("equivalences")
    void equivalent(String predicted, String gold, boolean expected) {
        assertEquals(expected, checker.equivalent(predicted, gold));
    }

    // ---- extract(completion): {completion, expected extraction or null} ----
    static Stream<Arguments> extractions() {
        return Stream.of(
                Arguments.of("So the total is \\boxed{42}.", "42"),
                Arguments.of("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
                Arguments.of("First \\boxed{3}, then \\boxed{4}", "4"),
                Arguments.of("The answer is 5, so \\boxed{6}", "6"),
                Arguments.of("$\\boxed 5$", "5"),
                Arguments.of("\\fbox{9}", "9"),
                Arguments.of("\\boxed{\\text{(C)}}", "\\text{(C)}"),
                Arguments.of("\\boxed{7} and then \\boxed{8", "7"),      // unclosed (truncated) box ignored
                Arguments.of("\\boxed{} was asked; I get 12", "12"),     // empty box ignored
                Arguments.of("The answer is 5. Actually 6", "5"),
                Arguments.of("The answer is 5.\nThe answer is 7", "7"),
                Arguments.of("Answer: 13", "13"),
                Arguments.of("**Final Answer:** 13", "13"),
                Arguments.of("The final answer is $3.5$.", "3.5"),   // a math region without its delimiters
                Arguments.of("5 apples and 7 oranges", "7"),
                Arguments.of("We get 3-5 as a range", "3-5"),        // math_verify reads plain arithmetic whole
                Arguments.of("It drops to -4 degrees", "-4"),
                Arguments.of("Total: 1,234 sheep", "1,234"),
                Arguments.of("half is 1/2", "1/2"),
                Arguments.of("that is \\frac{3}{4}", "\\frac{3}{4}"),
                Arguments.of("costs .5 dollars", ".5"),
                Arguments.of("no digits here", null),
                Arguments.of("", null),
                Arguments.of("   \n ", null));
    }

    @ParameterizedTest(name = "[{index}] extract \"{0}\" -> {1}")
    @MethodSource("extractions")
    void extract(String completion, String expected) {
        assertEquals(Optional.ofNullable(expected), checker.extract(completion));
    }

    // ---- matches(completion, gold): end-to-end ----
    static Stream<Arguments> completions() {
        return Stream.of(
                Arguments.of("She has 3 + 4 = 7 apples. The answer is 7.", "7", true),
                Arguments.of("I first thought 42, but the result is \\boxed{41}.", "42", false),
                Arguments.of("5 apples and 7 oranges", "5", false),
                Arguments.of("The answer is 5. Actually 6", "5", true),
                Arguments.of("The answer is 5. Actually 6", "6", false),
                Arguments.of("The answer is 5 or 6.", "5", false),
                Arguments.of("The answer is 5 because 2+3=5.", "5", true),
                Arguments.of("#### 72", "72", true),
                Arguments.of("Hence $\\boxed{\\dfrac{1}{2}}$.", "0.5", true),
                Arguments.of("He pays $18 in total.", "18", true),
                Arguments.of("He pays \\$18.00 in total. #### 18", "18", true),
                Arguments.of("Natalia sold 48/2 = 24 clips in May. 48+24 = 72.", "72", true),
                Arguments.of("The answer is: 1,234", "1234", true),
                Arguments.of("The answer is 1.234", "1,234", false),
                Arguments.of("Answer: \\boxed{x = -3}", "-3", true),
                Arguments.of("", "5", false),
                Arguments.of("I do not know.", "5", false),
                Arguments.of("The answer is 0.333", "\\frac{1}{3}", false),
                Arguments.of("so the probability is \\boxed{\\frac{1}{3}}", "1/3", true),
                Arguments.of("The correct option is \\boxed{B}", "B", true),
                Arguments.of("The correct option is \\boxed{B}", "C", false));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" vs gold \"{1}\" -> {2}")
    @MethodSource("completions")
    void matches(String completion, String gold, boolean expected) {
        assertEquals(expected, checker.matches(completion, gold));
    }

    @Test
    void hugeExponentsAndNumbersDoNotHang() {
        assertFalse(checker.equivalent("10^{100000}", "1"));
        assertFalse(checker.equivalent("9".repeat(5000), "1"));
        assertTrue(checker.equivalent("2^{64}", "18446744073709551616"));
    }
}
