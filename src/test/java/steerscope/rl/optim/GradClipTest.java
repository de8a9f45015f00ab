package steerscope.rl.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import steerscope.tensor.Parallel;

class GradClipTest {
    @Test
    void belowMaxNormLeavesGradientsAlone() {
        float[] a = {3, 4}, b = {12};
        double norm = GradClip.clipByGlobalNorm(List.of(a, b), 26);
        assertEquals(13.0, norm, 0);
        assertArrayEquals(new float[] {3, 4}, a);
        assertArrayEquals(new float[] {12}, b);
    }

    @Test
    void aboveMaxNormScalesByTorchCoefficient() {
        float[] a = {3, 4}, b = {12};
        double norm = GradClip.clipByGlobalNorm(List.of(a, b), 6.5);
        assertEquals(13.0, norm, 0);
        double c = 6.5 / (13 + 1e-6); // torch: max_norm / (total_norm + 1e-6)
        assertArrayEquals(new float[] {(float) (3 * c), (float) (4 * c)}, a, 1e-6f);
        assertArrayEquals(new float[] {(float) (12 * c)}, b, 1e-6f);
        assertEquals(6.5, GradClip.globalNorm(List.of(a, b)), 1e-5);
    }

    @Test
    void normOfLargeArraysMatchesPlainSumAndIsThreadCountFree() {
        Random r = new Random(7);
        float[] big = new float[3 * GradClip.BLOCK + 17], small = new float[5];
        for (int i = 0; i < big.length; i++) big[i] = (float) r.nextGaussian();
        for (int i = 0; i < small.length; i++) small[i] = (float) r.nextGaussian();
        double plain = 0;
        for (float x : big) plain += (double) x * x;
        for (float x : small) plain += (double) x * x;
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            double one = GradClip.globalNorm(List.of(big, small));
            Parallel.setThreads(3);
            double three = GradClip.globalNorm(List.of(big, small));
            assertEquals(Math.sqrt(plain), one, 1e-12 * Math.sqrt(plain));
            assertEquals(one, three, 0.0);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void emptyAndNonFinite() {
        assertEquals(0.0, GradClip.globalNorm(List.of()), 0);
        assertEquals(0.0, GradClip.globalNorm(List.of(new float[0])), 0);
        assertTrue(GradClip.allFinite(List.of(new float[] {1, -2}, new float[] {Float.MAX_VALUE})));
        assertFalse(GradClip.allFinite(List.of(new float[] {1, 2}, new float[] {0, Float.NaN})));
        assertFalse(GradClip.allFinite(List.of(new float[] {Float.NEGATIVE_INFINITY})));
        float[] g = {1, Float.NaN};
        assertTrue(Double.isNaN(GradClip.clipByGlobalNorm(List.of(g), 1.0)));
        assertEquals(1f, g[0]); // a NaN norm does not scale (the caller skips the step)
    }
}
