package steerscope.util;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BootstrapTest {

    @Test
    void constantValuesHaveAZeroWidthInterval() {
        Bootstrap.Interval i = Bootstrap.mean(new double[] {0.25, 0.25, 0.25, 0.25});
        assertEquals(0.25, i.value());
        assertEquals(0.25, i.lo());
        assertEquals(0.25, i.hi());
    }

    @Test
    void intervalOfAFairCoinMatchesTheNormalApproximation() {
        // 200 problems, half right: the 95% interval of the mean is about 0.5 +- 1.96 * sqrt(0.25 / 200) = +- 0.069
        double[] x = new double[200];
        for (int i = 0; i < 100; i++) x[i] = 1;
        Bootstrap.Interval i = Bootstrap.mean(x);
        assertEquals(0.5, i.value(), 1e-12);
        assertEquals(0.5 - 0.069, i.lo(), 0.012);
        assertEquals(0.5 + 0.069, i.hi(), 0.012);
        assertTrue(i.above(0.4) && !i.above(0.45) && i.below(0.6) && !i.below(0.55));
    }

    @Test
    void pairedResamplingKeepsProblemsTogether() {
        // b and f differ by exactly 0.3 on every problem: the paired difference has no spread, an unpaired one would
        double[] b = new double[100], f = new double[100];
        for (int i = 0; i < 100; i++) {
            b[i] = (i % 7) / 10.0;
            f[i] = b[i] + 0.3;
        }
        Bootstrap.Interval d = Bootstrap.paired(new double[][] {b, f}, c -> Bootstrap.average(c[1]) - Bootstrap.average(c[0]));
        assertEquals(0.3, d.lo(), 1e-9);
        assertEquals(0.3, d.hi(), 1e-9);
    }

    @Test
    void sameInputSameInterval() {
        double[] x = {0, 1, 1, 0, 1, 0.5, 0.25};
        assertEquals(Bootstrap.mean(x), Bootstrap.mean(x));
    }

    @Test
    void emptyInputHasNoInterval() {
        Bootstrap.Interval i = Bootstrap.mean(new double[0]);
        assertTrue(Double.isNaN(i.lo()) && Double.isNaN(i.hi()));
    }

    @Test
    void percentileInterpolatesLikeNumpy() {
        double[] s = {1, 2, 3, 4};
        assertEquals(1.075, Bootstrap.percentile(s, 0.025), 1e-12); // numpy.percentile([1,2,3,4], 2.5)
        assertEquals(3.925, Bootstrap.percentile(s, 0.975), 1e-12);
    }
}
