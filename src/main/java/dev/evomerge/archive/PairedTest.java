package dev.evomerge.archive;

import java.util.SplittableRandom;

/**
 * Whether a candidate differs from a reference scored on the same datapoints: the mean per-datapoint
 * difference (candidate − reference), its 95 % percentile-bootstrap interval, and a two-sided p-value from
 * the test that fits the scores. {@link #of} picks it: McNemar's exact test when every score is 0 or 1
 * (right or wrong), else the paired bootstrap. Pairing matters: two models that stumble on the same hard
 * datapoints differ far less than their separate intervals suggest.
 *
 * @param n the number of datapoints
 * @implNote immutable, thread-safe.
 */
public record PairedTest(Kind test, double meanDifference, ConfidenceInterval difference, double pValue, int n) {
    /** The test behind the p-value. */
    public enum Kind {
        MCNEMAR_EXACT("McNemar (exact)"),
        PAIRED_BOOTSTRAP("paired bootstrap");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    public PairedTest {
        if (!(pValue >= 0 && pValue <= 1)) { // McNemar's can underflow to 0 on many thousands of datapoints
            throw new IllegalArgumentException("p-value must be in [0, 1], got " + pValue);
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be positive, got " + n);
        }
    }

    /** McNemar for 0/1 scores, the paired bootstrap otherwise; 2,000 resamples from {@code seed}. */
    public static PairedTest of(double[] candidate, double[] reference, long seed) {
        paired(candidate, reference);
        if (binary(candidate) && binary(reference)) {
            PairedTest bootstrap = bootstrap(candidate, reference, ConfidenceInterval.LEVEL, ConfidenceInterval.RESAMPLES, seed);
            return new PairedTest(Kind.MCNEMAR_EXACT, bootstrap.meanDifference, bootstrap.difference,
                    McNemar.pValue(candidate, reference), candidate.length);
        }
        return bootstrap(candidate, reference, ConfidenceInterval.LEVEL, ConfidenceInterval.RESAMPLES, seed);
    }

    /**
     * The paired bootstrap: resample datapoints (pairs together) and take the mean difference of each resample.
     * Its percentiles give the interval; the p-value is the share of resampled means at least as far from the
     * observed mean as the observed mean is from zero (the resamples shifted to a null of no difference),
     * counted as {@code (1 + hits) / (1 + resamples)} so that it is never zero.
     */
    public static PairedTest bootstrap(double[] candidate, double[] reference, double level, int resamples, long seed) {
        paired(candidate, reference);
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be positive, got " + resamples);
        }
        double[] d = new double[candidate.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = candidate[i] - reference[i];
        }
        double observed = ConfidenceInterval.mean(d);
        double[] means = ConfidenceInterval.resampledMeans(d, resamples, new SplittableRandom(seed));
        long hits = 0;
        for (double m : means) {
            if (Math.abs(m - observed) >= Math.abs(observed)) {
                hits++;
            }
        }
        double p = (1.0 + hits) / (1.0 + resamples);
        return new PairedTest(Kind.PAIRED_BOOTSTRAP, observed, ConfidenceInterval.of(observed, means, level), p, d.length);
    }

    private static void paired(double[] candidate, double[] reference) {
        ConfidenceInterval.checked(candidate);
        ConfidenceInterval.checked(reference);
        if (candidate.length != reference.length) {
            throw new IllegalArgumentException("not paired: " + candidate.length + " candidate scores, " + reference.length + " reference scores");
        }
    }

    private static boolean binary(double[] scores) {
        for (double s : scores) {
            if (s != 0 && s != 1) {
                return false;
            }
        }
        return true;
    }
}
