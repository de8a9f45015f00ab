package steerscope.analysis;

import java.util.Arrays;
import java.util.function.BinaryOperator;

/**
 * Adding up the partial sums that shares of the problems return ({@link Measurements}). The first argument
 * is added into and returned: partials are built fresh for each share and merged once.
 */
final class Sums {
    private Sums() {}

    static double[] add(double[] into, double[] x) {
        for (int i = 0; i < into.length; i++) into[i] += x[i];
        return into;
    }

    static double[][] add(double[][] into, double[][] x) {
        for (int i = 0; i < into.length; i++) add(into[i], x[i]);
        return into;
    }

    static int[] add(int[] into, int[] x) {
        for (int i = 0; i < into.length; i++) into[i] += x[i];
        return into;
    }

    static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Either when the other is null (a share with nothing to measure), else both merged. */
    static <T> T merge(T a, T b, BinaryOperator<T> merge) {
        return a == null ? b : b == null ? a : merge.apply(a, b);
    }
}
