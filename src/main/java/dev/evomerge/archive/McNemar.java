package dev.evomerge.archive;

import org.apache.commons.math3.special.Gamma;

/**
 * McNemar's test for two classifiers scored right (1) or wrong (0) on the same datapoints, exact: under
 * "neither is better" the {@code b + c} discordant datapoints (b: only the first right, c: only the second)
 * split as a fair coin, so the two-sided p-value is {@code min(1, 2 · P[X ≤ min(b, c)])} with
 * {@code X ~ Binomial(b + c, 1/2)}. The exact test rather than the chi-square: with the few discordant
 * pairs that calibration splits give (tens), the chi-square approximation is off, and the exact sum is cheap.
 */
public final class McNemar {
    private McNemar() {
    }

    /** The exact two-sided p-value for {@code b} and {@code c} discordant pairs; 1 when there are none. */
    public static double pValue(long b, long c) {
        if (b < 0 || c < 0) {
            throw new IllegalArgumentException("discordant counts must be >= 0, got " + b + ", " + c);
        }
        long n = b + c;
        long k = Math.min(b, c);
        if (2 * k >= n) {
            return 1; // b == c (including none): the tail holds half the mass or more
        }
        // P[X ≤ k] = Σ_{i ≤ k} C(n, i) / 2^n in logs: 2^n under/overflows doubles past n ≈ 1,000. The terms
        // grow with i up to n/2, so the last one is the largest and the sum is taken relative to it.
        double logLast = logChoose(n, k);
        double relative = 0;
        double term = 1; // C(n, i) / C(n, k), for i = k down to 0
        for (long i = k; i >= 0; i--) {
            relative += term;
            if (term < 1e-17 * relative) {
                break; // the rest cannot change the double
            }
            term *= (double) i / (n - i + 1); // C(n, i−1) = C(n, i) · i / (n − i + 1)
        }
        double tail = Math.exp(logLast + Math.log(relative) - n * Math.log(2));
        return Math.min(1, 2 * tail);
    }

    /** The p-value for paired 0/1 scores (candidate, reference) on the same datapoints. */
    public static double pValue(double[] candidate, double[] reference) {
        long b = 0;
        long c = 0;
        for (int i = 0; i < candidate.length; i++) {
            if (candidate[i] > reference[i]) {
                b++;
            } else if (candidate[i] < reference[i]) {
                c++;
            }
        }
        return pValue(b, c);
    }

    private static double logChoose(long n, long k) {
        return Gamma.logGamma(n + 1.0) - Gamma.logGamma(k + 1.0)
                - Gamma.logGamma(n - k + 1.0);
    }
}
