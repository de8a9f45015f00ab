package steerscope.util;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * 95% percentile bootstrap intervals over independent units (problems, sequences): resample the units with
 * replacement {@link #RESAMPLES} times, recompute the statistic, take the 2.5% and 97.5% quantiles
 * (interpolated as numpy's percentile). Seeded, so an interval is the same on every run. Paired statistics (a
 * difference or ratio of two methods on the same problems) resample the same units for every method, so the
 * interval reflects which problems were drawn, not independent noise per method.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;
    /** The seed of {@link #mean(double[])} and {@link #paired}, the demo's and the evaluator's intervals. */
    private static final long SEED = 0xB0075L;

    private Bootstrap() {}

    /** A statistic with its 95% interval; {@code lo}/{@code hi} are NaN when there is nothing to resample. */
    public record Interval(double value, double lo, double hi) {
        static Interval of(double[] v) {
            return new Interval(v[0], v[1], v[2]);
        }

        public double[] ci() {
            return new double[] {lo, hi};
        }

        /** The interval lies strictly above {@code threshold}. */
        public boolean above(double threshold) {
            return lo > threshold;
        }

        /** The interval lies strictly below {@code threshold}. */
        public boolean below(double threshold) {
            return hi < threshold;
        }
    }

    /** The mean of {@code values} (one per problem) with its 95% interval. */
    public static Interval mean(double[] values) {
        return Interval.of(mean(values, SEED));
    }

    /**
     * A statistic of several per-problem columns ({@code columns[m][i]} is method m on problem i); every resample
     * passes the same resampled rows of every column. Resamples where the statistic is NaN (a ratio whose
     * denominator is 0) are left out of the quantiles.
     */
    public static Interval paired(double[][] columns, ToDoubleFunction<double[][]> statistic) {
        int n = columns[0].length;
        for (double[] c : columns) {
            if (c.length != n) throw new IllegalArgumentException("columns of different lengths");
        }
        double[][] sample = new double[columns.length][n];
        return Interval.of(statistic(n, idx -> {
            for (int m = 0; m < columns.length; m++) {
                for (int i = 0; i < idx.length; i++) sample[m][i] = columns[m][idx[i]];
            }
            return statistic.applyAsDouble(sample);
        }, SEED));
    }

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
    public static double[] diff(double[] a, double[] b) {
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

    /**
     * A statistic of n units (given the resampled unit indices) and its interval: {value, lo, hi}. Resamples whose
     * statistic is NaN are left out; NaNs when n is 0 or every resample was NaN.
     */
    public static double[] statistic(int n, ToDoubleFunction<int[]> stat, long seed) {
        if (n == 0) return new double[] {Double.NaN, Double.NaN, Double.NaN};
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        double value = stat.applyAsDouble(all);
        SplittableRandom r = new SplittableRandom(seed);
        double[] draws = new double[RESAMPLES];
        int kept = 0;
        int[] idx = new int[n];
        for (int k = 0; k < RESAMPLES; k++) {
            for (int i = 0; i < n; i++) idx[i] = r.nextInt(n);
            double s = stat.applyAsDouble(idx);
            if (!Double.isNaN(s)) draws[kept++] = s;
        }
        if (kept == 0) return new double[] {value, Double.NaN, Double.NaN};
        double[] sorted = Arrays.copyOf(draws, kept);
        Arrays.sort(sorted);
        return new double[] {value, percentile(sorted, 0.025), percentile(sorted, 0.975)};
    }

    public static double average(double[] xs) {
        double s = 0;
        for (double x : xs) s += x;
        return xs.length == 0 ? Double.NaN : s / xs.length;
    }

    /** Linear interpolation between closest ranks (numpy's default). */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
