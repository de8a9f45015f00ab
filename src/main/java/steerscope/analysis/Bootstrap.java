package steerscope.analysis;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * 95% percentile bootstrap intervals over independent units (problems, sequences): resample the units with
 * replacement {@link #RESAMPLES} times, recompute the statistic, take the 2.5% and 97.5% quantiles. Seeded,
 * so an interval is the same on every run.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;

    private Bootstrap() {}

    /** Mean of x, and its interval: {mean, lo, hi}; NaNs when x is empty. */
    public static double[] mean(double[] x, long seed) {
        return statistic(x.length, idx -> {
            double s = 0;
            for (int i : idx) s += x[i];
            return s / idx.length;
        }, seed);
    }

    /** Mean of a − b over paired units, and its interval. */
    public static double[] meanDiff(double[] a, double[] b, long seed) {
        return mean(diff(a, b), seed);
    }

    /** a − b, element by element. */
    static double[] diff(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
        return d;
    }

    /**
     * mean(num) / mean(den) over paired units, and its interval, or NaNs when the denominator's own interval
     * does not lie clearly above zero (a ratio of two small or negative gains means nothing).
     */
    public static double[] ratio(double[] num, double[] den, long seed) {
        double[] d = mean(den, seed);
        if (!(d[1] > 0)) return new double[] {Double.NaN, Double.NaN, Double.NaN};
        return statistic(num.length, idx -> {
            double a = 0, b = 0;
            for (int i : idx) {
                a += num[i];
                b += den[i];
            }
            return a / b;
        }, seed);
    }

    /** A statistic of n units (given the resampled unit indices) and its interval: {value, lo, hi}. */
    public static double[] statistic(int n, ToDoubleFunction<int[]> stat, long seed) {
        if (n == 0) return new double[] {Double.NaN, Double.NaN, Double.NaN};
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        double value = stat.applyAsDouble(all);
        SplittableRandom r = new SplittableRandom(seed);
        double[] draws = new double[RESAMPLES];
        int[] idx = new int[n];
        for (int k = 0; k < RESAMPLES; k++) {
            for (int i = 0; i < n; i++) idx[i] = r.nextInt(n);
            draws[k] = stat.applyAsDouble(idx);
        }
        Arrays.sort(draws);
        return new double[] {value, quantile(draws, 0.025), quantile(draws, 0.975)};
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(sorted.length - 1, i + 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    /** {value, lo, hi} as JSON: value and ci [lo, hi], nulls for what is not finite. */
    static java.util.Map<String, Object> json(double[] v) {
        return Out.map("value", Out.num(v[0]), "ci", java.util.Arrays.asList(Out.num(v[1]), Out.num(v[2])));
    }
}
