package steerscope.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import steerscope.model.SteeringVectors;

/**
 * combine-layers' statistics on a linear toy with known answers: each vector adds a fixed gain on every problem,
 * and a pair adds the two gains (minus an interaction proportional to the vectors' cosine where there is one).
 */
class CombineLayersTest {
    static final int N = 24;

    /** Vector i alone on layers[i] (of 6), in direction dirs[i]. */
    private static List<SteeringVectors> vectors(int[] layers, float[][] dirs) {
        List<SteeringVectors> out = new ArrayList<>();
        for (int i = 0; i < dirs.length; i++) {
            SteeringVectors v = SteeringVectors.zeros(6, dirs[0].length, new int[] {layers[i]});
            System.arraycopy(dirs[i], 0, v.get(layers[i]), 0, dirs[0].length);
            out.add(v);
        }
        return out;
    }

    /** base + gain on every problem; the base varies over problems so the intervals have something to resample. */
    private static double[] shifted(double[] base, double gain) {
        double[] c = base.clone();
        for (int i = 0; i < c.length; i++) c[i] += gain;
        return c;
    }

    private static double[] base() {
        double[] b = new double[N];
        for (int i = 0; i < N; i++) b[i] = 0.1 + 0.05 * (i % 4);
        return b;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pair(Map<String, Object> r, int k) {
        return (Map<String, Object>) ((List<Object>) r.get("pairs")).get(k);
    }

    @SuppressWarnings("unchecked")
    private static double value(Object interval) {
        return (Double) ((Map<String, Object>) interval).get("value");
    }

    @SuppressWarnings("unchecked")
    private static List<Double> ci(Object interval) {
        return (List<Double>) ((Map<String, Object>) interval).get("ci");
    }

    @Test
    void orthogonalVectorsWhoseGainsAddUp() {
        double[] g = {0.1, 0.2, 0.3};
        double[] b = base();
        double[][] single = new double[3][];
        double[][][] pair = new double[3][3][];
        for (int i = 0; i < 3; i++) single[i] = shifted(b, g[i]);
        for (int i = 0; i < 3; i++) for (int j = i + 1; j < 3; j++) pair[i][j] = shifted(b, g[i] + g[j]);
        List<SteeringVectors> v = vectors(new int[] {0, 1, 2}, new float[][] {{1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 0, -3}});
        Map<String, Object> r = CombineLayers.summarise(new int[] {0, 1, 2}, v, b, single, pair, new Sampled.Options(4, 8, 8, 0), 0);
        int k = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = i + 1; j < 3; j++, k++) {
                Map<String, Object> p = pair(r, k);
                assertEquals(0, (Double) p.get("cosine"), 1e-12, "orthogonal");
                double rel = (g[i] + g[j]) / Math.max(g[i], g[j]);
                assertEquals(rel, value(p.get("relative")), 1e-9, "the gains add up: " + i + "+" + j);
                assertEquals(rel, ci(p.get("relative")).get(0), 1e-9, "the same on every resample");
                assertEquals(Math.min(g[i], g[j]), value(p.get("minus_best")), 1e-9, "the pair beats its better vector by the other's gain");
            }
        }
        assertTrue(r.get("correlation_minus_best") instanceof Map<?, ?> m && m.get("value") == null, "no spread in the cosines: no correlation");
    }

    @Test
    void anInteractionProportionalToTheCosineCorrelatesPerfectly() {
        double g = 0.2, alpha = 0.1;
        double[] b = base();
        List<SteeringVectors> v = vectors(new int[] {0, 1, 2}, new float[][] {{1, 0, 0}, {1, 1, 0}, {0, 0, 1}});
        double[][] single = new double[3][];
        double[][][] pair = new double[3][3][];
        for (int i = 0; i < 3; i++) single[i] = shifted(b, g);
        double[] cos = new double[3];
        int k = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = i + 1; j < 3; j++, k++) {
                cos[k] = Divergence.cosine(v.get(i).get(i), v.get(j).get(j));
                pair[i][j] = shifted(b, 2 * g - alpha * cos[k]);
            }
        }
        Map<String, Object> r = CombineLayers.summarise(new int[] {0, 1, 2}, v, b, single, pair, new Sampled.Options(4, 8, 8, 0), 0);
        assertEquals(Math.sqrt(0.5), cos[0], 1e-6);
        assertEquals(-1, value(r.get("correlation_minus_best")), 1e-9);
        assertEquals(-1, ci(r.get("correlation_minus_best")).get(1), 1e-9);
        assertEquals(-1, value(r.get("correlation_relative")), 1e-9);
        assertEquals((2 * g - alpha * cos[0]) / g, value(pair(r, 0).get("relative")), 1e-6);
    }

    @Test
    void aRelativeGainNeedsAClearlyPositiveSingleGain() {
        double[] b = base();
        double[][] single = {b.clone(), b.clone()}; // no gain at all
        double[][][] pair = new double[2][2][];
        pair[0][1] = shifted(b, 0.1);
        Map<String, Object> r = CombineLayers.summarise(new int[] {3, 5}, vectors(new int[] {3, 5}, new float[][] {{1, 0}, {0, 1}}), b, single, pair,
                new Sampled.Options(4, 8, 8, 0), 0);
        assertEquals(null, pair(r, 0).get("relative"));
        assertTrue(((String) pair(r, 0).get("relative_reason")).contains("not positive beyond its 95% interval"));
        assertEquals(0.1, value(pair(r, 0).get("minus_best")), 1e-9);
    }
}
