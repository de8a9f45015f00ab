package steerscope.rl.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import steerscope.util.UserError;

class LrScheduleTest {
    private static final double TOL = 1e-15;

    @Test
    void cosineWithWarmupByHand() {
        LrSchedule s = LrSchedule.cosine(1e-3, 10, 110, 0.0);
        assertEquals(0.0, s.lr(0), TOL); // HF: the first step of a warmup has rate 0
        assertEquals(0.5e-3, s.lr(5), TOL);
        assertEquals(0.9e-3, s.lr(9), TOL);
        assertEquals(1e-3, s.lr(10), TOL); // progress 0: cos(0) = 1
        assertEquals(1e-3 * (0.5 + Math.sqrt(2) / 4), s.lr(35), TOL); // progress 1/4: 0.5 * (1 + cos(pi/4))
        assertEquals(0.5e-3, s.lr(60), TOL); // progress 1/2
        assertEquals(0.0, s.lr(110), TOL); // progress 1
    }

    @Test
    void cosineWithMinLrRatio() {
        LrSchedule s = LrSchedule.cosine(2.0, 10, 110, 0.1);
        assertEquals(0.0, s.lr(0), TOL); // warmup is not lifted by the floor, as in HF
        assertEquals(2.0, s.lr(10), TOL);
        assertEquals(2.0 * 0.55, s.lr(60), TOL); // 0.1 + 0.9 * 0.5
        assertEquals(2.0 * 0.1, s.lr(110), TOL);
    }

    @Test
    void cosineWithoutWarmupDividesByTotal() {
        LrSchedule s = LrSchedule.cosine(1.0, 0, 4, 0.0);
        assertEquals(1.0, s.lr(0), TOL);
        assertEquals(0.5 * (1 + Math.cos(Math.PI / 4)), s.lr(1), TOL);
        assertEquals(0.5, s.lr(2), TOL);
    }

    @Test
    void constantWithWarmup() {
        LrSchedule s = LrSchedule.constant(3.0, 4);
        assertEquals(0.0, s.lr(0), TOL);
        assertEquals(0.75, s.lr(1), TOL);
        assertEquals(2.25, s.lr(3), TOL);
        assertEquals(3.0, s.lr(4), TOL);
        assertEquals(3.0, s.lr(100_000), TOL);
        assertEquals(3.0, LrSchedule.constant(3.0, 0).lr(0), TOL);
    }

    @Test
    void parseNamesAndRejectsUnknown() {
        assertEquals(LrSchedule.Kind.COSINE, LrSchedule.parse("Cosine", 1e-3, 1, 10, 0).kind());
        assertEquals(LrSchedule.Kind.CONSTANT, LrSchedule.parse("constant", 1e-3, 1, 10, 0).kind());
        UserError e = assertThrows(UserError.class, () -> LrSchedule.parse("linear-ish", 1e-3, 1, 10, 0));
        assertTrue(e.getMessage().contains("linear-ish") && e.getMessage().contains("cosine"), e.getMessage());
        assertThrows(UserError.class, () -> LrSchedule.cosine(1e-3, -1, 10, 0));
        assertThrows(UserError.class, () -> LrSchedule.cosine(1e-3, 1, 10, 1.5));
        assertThrows(UserError.class, () -> LrSchedule.constant(Double.NaN, 1));
    }
}
