package steerscope.rl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;
import steerscope.util.UserError;

/** The paper preset is the paper's public code's recipe, field by field. */
class RlConfigTest {

    @Test
    void paperPresetMatchesThePapersCode() {
        RlConfig v = RlConfig.paper("vectors"), f = RlConfig.paper("full");
        assertEquals("rloo", v.algo());
        assertFalse(v.scaleByStd());
        assertEquals("token", v.lossAgg());           // summed over tokens, divided by the step's generated tokens
        assertEquals(16, v.group());
        assertEquals(16, v.promptsPerStep());
        assertEquals(1.0, v.temperature());
        assertEquals(1, v.innerEpochs());              // no ratio, no clipping
        assertEquals(0.0, v.klBeta());
        assertEquals(2.0, v.maxGradNorm());
        assertEquals("constant", v.schedule());
        assertEquals(0.03, v.warmupRatio());
        assertEquals(-1.0, v.negReward());
        assertTrue(v.boxedOnly());
        assertEquals(1e-3, v.lr());
        assertEquals(1e-6, f.lr());
    }

    @Test
    void warmupIsThreePercentOfTheStepsRoundedUpUnlessStepsAreGiven() {
        assertEquals(3, RlConfig.paper("vectors").with(Map.of("steps", 100)).effectiveWarmupSteps());
        assertEquals(1, RlConfig.paper("vectors").with(Map.of("steps", 30)).effectiveWarmupSteps());
        assertEquals(0, RlConfig.paper("vectors").with(Map.of("steps", 0)).effectiveWarmupSteps());
        assertEquals(7, RlConfig.paper("vectors").with(Map.of("steps", 30, "warmupSteps", 7, "warmupRatio", 0.0)).effectiveWarmupSteps());
    }

    @Test
    void badRewardAndWarmupAreClearErrors() {
        RlConfig p = RlConfig.paper("vectors");
        var e = assertThrows(IllegalArgumentException.class, () -> p.with(Map.of("negReward", 1.0)));
        assertInstanceOf(UserError.class, rootUserError(e));
        assertThrows(IllegalArgumentException.class, () -> p.with(Map.of("warmupRatio", 1.5)));
    }

    private static Throwable rootUserError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) if (c instanceof UserError) return c;
        return t;
    }
}
