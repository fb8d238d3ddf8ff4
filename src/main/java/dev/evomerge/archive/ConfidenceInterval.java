package dev.evomerge.archive;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A confidence interval of a mean: the sample mean and the interval {@code [low, high]} that holds the true
 * mean with probability {@code level} (e.g. 0.95). {@link #bootstrap} makes one by the percentile bootstrap.
 *
 * @implNote immutable, thread-safe.
 */
public record ConfidenceInterval(double mean, double low, double high, double level) {
    /** Resamples of {@link #bootstrap(double[], long)}: enough for a stable 2.5 % tail (50 draws beyond it). */
    public static final int RESAMPLES = 2_000;
    public static final double LEVEL = 0.95;

    public ConfidenceInterval {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        }
        if (!(low <= mean && mean <= high)) {
            throw new IllegalArgumentException("need low <= mean <= high, got " + low + ", " + mean + ", " + high);
        }
    }

    /** The 95 % percentile-bootstrap interval of the mean of {@code values}, from 2,000 resamples. */
    public static ConfidenceInterval bootstrap(double[] values, long seed) {
        return bootstrap(values, LEVEL, RESAMPLES, seed);
    }

    /**
     * The percentile-bootstrap interval of the mean of {@code values} (per-datapoint scores, or one figure
     * per seed): {@code resamples} means of {@code n} values drawn with replacement, and their
     * {@code (1 − level)/2} and {@code (1 + level)/2} quantiles. Same values and seed, same interval.
     */
    public static ConfidenceInterval bootstrap(double[] values, double level, int resamples, long seed) {
        checked(values);
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be positive, got " + resamples);
        }
        double[] means = resampledMeans(values, resamples, new SplittableRandom(seed));
        return of(mean(values), means, level);
    }

    /** The interval from bootstrap replicates of a mean (sorted here); {@code mean} is clamped into it. */
    static ConfidenceInterval of(double mean, double[] replicates, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("level must be in (0, 1), got " + level);
        }
        double[] sorted = replicates.clone();
        Arrays.sort(sorted);
        double low = quantile(sorted, (1 - level) / 2);
        double high = quantile(sorted, (1 + level) / 2);
        // a percentile interval need not hold the sample mean (a skewed, tiny sample); widen rather than lie
        return new ConfidenceInterval(mean, Math.min(low, mean), Math.max(high, mean), level);
    }

    static double[] resampledMeans(double[] values, int resamples, SplittableRandom random) {
        int n = values.length;
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[random.nextInt(n)];
            }
            means[r] = sum / n;
        }
        return means;
    }

    /** Linear interpolation between order statistics (R's type 7, numpy's default). */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    static double[] checked(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("value " + i + " is " + values[i]);
            }
        }
        return values;
    }

    public boolean contains(double value) {
        return low <= value && value <= high;
    }
}
