package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import steerscope.util.UserError;

class ArithmeticGeneratorTest {
    private static final ArithmeticGenerator.Config CFG = ArithmeticGenerator.Config.DEFAULT;

    private static List<ArithmeticProblem> draw(long seed, int n) {
        var gen = new ArithmeticGenerator(seed, CFG);
        return IntStream.range(0, n).mapToObj(i -> gen.next()).toList();
    }

    @Test
    void sameSeedSameProblemsOtherSeedOthers() {
        assertEquals(draw(42, 500), draw(42, 500));
        assertNotEquals(draw(42, 500), draw(43, 500));
    }

    @Test
    void questionTextReadsBackToTheSameChainAndAnswer() {
        var gen = new ArithmeticGenerator(7, CFG);
        int words = 0;
        for (int i = 0; i < 5000; i++) {
            ArithmeticProblem p = i % 5 == 0 ? gen.nextDrill() : gen.next();
            ChainText t = ChainText.parse(p.question());
            assertEquals(p.depth(), t.operators().size(), p.question());
            assertEquals(p.start(), t.numbers().getFirst(), p.question());
            for (int k = 0; k < p.depth(); k++) {
                assertEquals(p.operations().get(k).operator(), t.operators().get(k), p.question());
                assertEquals(p.operations().get(k).operand(), t.numbers().get(k + 1), p.question());
            }
            assertEquals(t.values().getLast(), p.answer(), p.question());
            assertEquals(t.values(), p.values());
            if (!p.question().startsWith("What is ") && !p.question().startsWith("Calculate ")) {
                words++;
            }
        }
        // 4000 questions at 30% word problems: expect ~1200.
        assertTrue(words > 1000 && words < 1400, "word problems: " + words);
    }

    @Test
    void depthsOperandsAndEveryIntermediateStayInRange() {
        var gen = new ArithmeticGenerator(3, CFG);
        Set<Integer> depths = new HashSet<>();
        Set<Character> ops = new HashSet<>();
        int maxSeen = 0;
        for (int i = 0; i < 20000; i++) {
            ArithmeticProblem p = gen.next();
            depths.add(p.depth());
            assertTrue(p.start() >= CFG.minOperand() && p.start() <= CFG.maxOperand(), p.canonical());
            for (var op : p.operations()) {
                ops.add(op.operator());
                assertTrue(op.operand() >= CFG.minOperand() && op.operand() <= CFG.maxOperand(), p.canonical());
            }
            for (int v : ChainText.parse(p.question()).values()) {
                assertTrue(v >= 0 && v <= CFG.maxValue(), p.canonical() + " reaches " + v);
                maxSeen = Math.max(maxSeen, v);
            }
        }
        assertEquals(Set.of(2, 3, 4), depths);
        assertEquals(Set.of('+', '-'), ops);
        assertTrue(maxSeen >= 70, "values should use the upper range, max " + maxSeen);
    }

    @Test
    void tightValueRangeStillKeepsEveryStepInside() {
        var cfg = new ArithmeticGenerator.Config(1, 6, 3, 9, 12, 0.5, 0.1);
        var gen = new ArithmeticGenerator(11, cfg);
        for (int i = 0; i < 5000; i++) {
            ArithmeticProblem p = gen.next();
            for (int v : ChainText.parse(p.question()).values()) {
                assertTrue(v >= 0 && v <= 12, p.canonical());
            }
        }
    }

    @Test
    void drillsAreSingleOperationsInRange() {
        var gen = new ArithmeticGenerator(5, CFG);
        Set<Integer> lefts = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            ArithmeticProblem p = gen.nextDrill();
            assertEquals(1, p.depth());
            assertTrue(p.start() >= 0 && p.start() <= CFG.maxValue());
            assertTrue(p.answer() >= 0 && p.answer() <= CFG.maxValue(), p.canonical());
            lefts.add(p.start());
        }
        // Drills start from intermediate values too, not just from the operand range.
        assertTrue(lefts.stream().anyMatch(v -> v > CFG.maxOperand()), "drills only start from operands");
    }

    @Test
    void badConfigsAreUserErrors() {
        assertThrows(UserError.class, () -> new ArithmeticGenerator.Config(3, 2, 2, 20, 99, 0.3, 0.1));
        assertThrows(UserError.class, () -> new ArithmeticGenerator.Config(1, 2, 0, 20, 99, 0.3, 0.1));
        assertThrows(UserError.class, () -> new ArithmeticGenerator.Config(1, 2, 2, 20, 15, 0.3, 0.1));
        assertThrows(UserError.class, () -> new ArithmeticGenerator.Config(1, 2, 2, 20, 99, 1.5, 0.1));
        assertThrows(UserError.class, () -> new ArithmeticGenerator.Config(1, 2, 2, 20, 99, 0.3, 1.0));
    }
}
