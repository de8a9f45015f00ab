package steerscope.util;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap over problems: resample the n problems with replacement {@link #RESAMPLES} times from a
 * fixed seed and take the 2.5th and 97.5th percentiles of the statistic. Paired statistics (a difference or a
 * ratio of two methods on the same problems) resample the same problem indices for every method, so the
 * interval reflects which problems were drawn, not independent noise per method.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;
    private static final long SEED = 0xB0075L;

    private Bootstrap() {}

    /** A statistic with its 95% interval; {@code lo}/{@code hi} are NaN when there is nothing to resample. */
    public record Interval(double value, double lo, double hi) {
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
        return paired(new double[][] {values}, cols -> average(cols[0]));
    }

    /**
     * A statistic of several per-problem columns (each {@code columns[m][i]} is method m on problem i); every
     * resample passes the same resampled rows of every column. Resamples where the statistic is NaN (e.g. a
     * ratio whose denominator is 0) are left out of the percentiles.
     */
    public static Interval paired(double[][] columns, ToDoubleFunction<double[][]> statistic) {
        int n = columns[0].length;
        for (double[] c : columns) {
            if (c.length != n) throw new IllegalArgumentException("columns of different lengths");
        }
        double value = statistic.applyAsDouble(columns);
        if (n == 0) return new Interval(value, Double.NaN, Double.NaN);
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] stats = new double[RESAMPLES];
        int kept = 0;
        double[][] sample = new double[columns.length][n];
        for (int r = 0; r < RESAMPLES; r++) {
            for (int i = 0; i < n; i++) {
                int j = rng.nextInt(n);
                for (int m = 0; m < columns.length; m++) sample[m][i] = columns[m][j];
            }
            double s = statistic.applyAsDouble(sample);
            if (!Double.isNaN(s)) stats[kept++] = s;
        }
        if (kept == 0) return new Interval(value, Double.NaN, Double.NaN);
        double[] sorted = Arrays.copyOf(stats, kept);
        Arrays.sort(sorted);
        return new Interval(value, percentile(sorted, 0.025), percentile(sorted, 0.975));
    }

    public static double average(double[] xs) {
        double s = 0;
        for (double x : xs) s += x;
        return xs.length == 0 ? Double.NaN : s / xs.length;
    }

    /** Linear interpolation between closest ranks (numpy's default). */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
