package steerscope.task.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HeldOutSplitTest {
    private static final ArithmeticGenerator.Config CFG = ArithmeticGenerator.Config.DEFAULT;
    private final HeldOutSplit split = new HeldOutSplit(CFG);

    @Test
    void trainStreamNeverMeetsTheTestSet() {
        List<ArithmeticProblem> test = split.testSet(2000, 99);
        Set<String> testChains = test.stream().map(ArithmeticProblem::canonical).collect(Collectors.toSet());
        assertEquals(2000, testChains.size(), "test chains are distinct");
        test.forEach(p -> assertTrue(split.isTest(p)));
        Set<String> trainChains = new HashSet<>();
        split.trainStream(1).limit(50_000).forEach(p -> {
            assertFalse(testChains.contains(p.canonical()), p.canonical());
            trainChains.add(p.canonical());
        });
        // The corpus's training questions and drills are on the train side too.
        new Corpus().generate(20_000, 5).forEach(d -> assertFalse(testChains.contains(d.problem().canonical())));
        assertTrue(trainChains.size() > 20_000, "train stream should be varied: " + trainChains.size());
    }

    @Test
    void aboutTestFractionOfChainsAreHeldOutWhateverTheSurface() {
        var gen = new ArithmeticGenerator(3, CFG);
        int n = 40_000, held = 0;
        for (int i = 0; i < n; i++) {
            ArithmeticProblem p = gen.next();
            boolean t = split.isTest(p);
            held += t ? 1 : 0;
            // Same chain written another way (symbolic, no question text) is on the same side.
            assertEquals(t, split.isTest(new ArithmeticProblem(p.start(), p.operations(), "")));
        }
        double frac = held / (double) n;
        assertEquals(CFG.testFraction(), frac, 0.01, "held-out share");
    }

    @Test
    void singleOperationsAreNeverHeldOut() {
        var gen = new ArithmeticGenerator(4, CFG);
        for (int i = 0; i < 5000; i++) {
            assertFalse(split.isTest(gen.nextDrill()));
        }
    }

    @Test
    void sameSeedSameSplitSamples() {
        assertEquals(split.testSet(300, 8), split.testSet(300, 8));
        assertNotEquals(split.testSet(300, 8), split.testSet(300, 9));
        assertEquals(split.trainStream(2).limit(300).toList(), split.trainStream(2).limit(300).toList());
    }

    @Test
    void unitHashSpreadsOverTheUnitInterval() {
        int[] bins = new int[10];
        for (int a = 0; a < 100; a++) {
            for (int b = 0; b < 100; b++) {
                double u = HeldOutSplit.unitHash(a + " + " + b + " - 3");
                assertTrue(u >= 0 && u < 1);
                bins[(int) (u * 10)]++;
            }
        }
        for (int c : bins) {
            assertTrue(Math.abs(c - 1000) < 150, "bin count " + c);  // ~5 sigma of a fair binomial
        }
    }
}
