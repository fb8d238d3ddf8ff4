package dev.evomerge.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConfidenceIntervalTest {
    /** n draws of an exponential distribution of mean 1: skewed, as per-datapoint losses are. */
    private static double[] exponential(SplittableRandom random, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = -Math.log(1 - random.nextDouble());
        }
        return x;
    }

    private static double coverage(double level, int trials, long seed) {
        SplittableRandom data = new SplittableRandom(seed);
        int covered = 0;
        for (int t = 0; t < trials; t++) {
            if (ConfidenceInterval.bootstrap(exponential(data, 60), level, 1_000, t).contains(1.0)) {
                covered++;
            }
        }
        return (double) covered / trials;
    }

    @Test
    void intervalHoldsTheTrueMeanAtAboutTheNominalRate() {
        // 400 samples of 60: the binomial spread of the count is ±1.1 points at 95 %, ±2 at 80 %; the percentile
        // bootstrap runs a little narrow on skewed data of this size, so the bounds sit a little below nominal.
        // An interval of the values' spread instead of the mean's would cover ~100 %; one missing the 1/√n, ~0 %.
        double at95 = coverage(0.95, 400, 7);
        assertTrue(at95 >= 0.89 && at95 <= 0.98, "95 % interval covered the true mean in " + at95);
        double at80 = coverage(0.80, 400, 8);
        assertTrue(at80 >= 0.72 && at80 <= 0.87, "80 % interval covered the true mean in " + at80);
    }

    @Test
    void widthShrinksLikeOneOverRootN() {
        SplittableRandom random = new SplittableRandom(3);
        ConfidenceInterval small = ConfidenceInterval.bootstrap(exponential(random, 100), 11);
        ConfidenceInterval large = ConfidenceInterval.bootstrap(exponential(random, 10_000), 11);
        double ratio = (small.high() - small.low()) / (large.high() - large.low());
        // √(10,000 / 100) = 10; the standard error of the mean gives width ≈ 2 · 1.96 / √n = 0.39 at n = 100
        assertTrue(ratio > 7 && ratio < 13, "width ratio " + ratio);
        assertEquals(0.39, small.high() - small.low(), 0.1);
    }

    @Test
    void sameSeedSameIntervalAnotherSeedAnother() {
        double[] x = exponential(new SplittableRandom(5), 50);
        assertEquals(ConfidenceInterval.bootstrap(x, 42), ConfidenceInterval.bootstrap(x, 42));
        assertNotEquals(ConfidenceInterval.bootstrap(x, 42), ConfidenceInterval.bootstrap(x, 43));
        ConfidenceInterval ci = ConfidenceInterval.bootstrap(x, 42);
        assertEquals(ConfidenceInterval.mean(x), ci.mean(), 1e-15);
        assertEquals(0.95, ci.level());
        assertTrue(ci.low() < ci.mean() && ci.mean() < ci.high(), ci.toString());
    }

    @Test
    void constantScoresGiveAPointInterval() {
        ConfidenceInterval ci = ConfidenceInterval.bootstrap(new double[] {0.5, 0.5, 0.5}, 1);
        assertEquals(new ConfidenceInterval(0.5, 0.5, 0.5, 0.95), ci);
    }

    @Test
    void rejectsNoValuesNonFiniteValuesAndBadLevels() {
        assertThrows(IllegalArgumentException.class, () -> ConfidenceInterval.bootstrap(new double[0], 1));
        assertThrows(IllegalArgumentException.class, () -> ConfidenceInterval.bootstrap(new double[] {1, Double.NaN}, 1));
        assertThrows(IllegalArgumentException.class, () -> ConfidenceInterval.bootstrap(new double[] {1, 2}, 1.0, 100, 1));
        assertThrows(IllegalArgumentException.class, () -> ConfidenceInterval.bootstrap(new double[] {1, 2}, 0.9, 0, 1));
    }
}
