package dev.evomerge.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PairedTestTest {
    @Test
    void mcNemarMatchesHandComputedExactBinomialTails() {
        // b=10, c=2: 2 · (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2 · 79 / 4096
        assertEquals(2 * 79 / 4096.0, McNemar.pValue(10, 2), 1e-15);
        assertEquals(0.0386, McNemar.pValue(10, 2), 5e-5);
        assertEquals(McNemar.pValue(10, 2), McNemar.pValue(2, 10), 0);
        // b=6, c=0: 2 / 2^6
        assertEquals(0.03125, McNemar.pValue(6, 0), 1e-15);
        // b=20, c=5: 2 · (1 + 25 + 300 + 2300 + 12650 + 53130) / 2^25
        assertEquals(2 * 68406 / 33554432.0, McNemar.pValue(20, 5), 1e-15);
        assertEquals(1, McNemar.pValue(1, 0), 0, "one discordant pair proves nothing");
        assertEquals(1, McNemar.pValue(7, 7), 0);
        assertEquals(1, McNemar.pValue(0, 0), 0, "no discordant pairs: no evidence of a difference");
    }

    @Test
    void mcNemarStaysExactWhereTwoToTheNOverflows() {
        // 2^1500 is beyond a double; the exact tail in big integers
        long b = 850;
        long c = 650;
        BigInteger sum = BigInteger.ZERO;
        BigInteger choose = BigInteger.ONE;
        for (long i = 0; i <= c; i++) {
            sum = sum.add(choose);
            choose = choose.multiply(BigInteger.valueOf(b + c - i)).divide(BigInteger.valueOf(i + 1));
        }
        double exact = new BigDecimal(sum.shiftLeft(1)).divide(new BigDecimal(BigInteger.ONE.shiftLeft((int) (b + c))), MathContext.DECIMAL64)
                .doubleValue();
        assertTrue(exact > 1e-300 && exact < 1e-5, "reference " + exact);
        assertEquals(1, McNemar.pValue(b, c) / exact, 1e-9);
    }

    @Test
    void zeroOneScoresGetMcNemarWithTheMeanDifferenceAndItsInterval() {
        // 10 datapoints only the candidate gets right, 2 only the reference, 30 both, 8 neither
        double[] candidate = new double[50];
        double[] reference = new double[50];
        for (int i = 0; i < 50; i++) {
            candidate[i] = i < 10 || (i >= 12 && i < 42) ? 1 : 0;
            reference[i] = (i >= 10 && i < 42) ? 1 : 0;
        }
        PairedTest t = PairedTest.of(candidate, reference, 9);
        assertEquals(PairedTest.Kind.MCNEMAR_EXACT, t.test());
        assertEquals(0.0386, t.pValue(), 5e-5);
        assertEquals(8 / 50.0, t.meanDifference(), 1e-15);
        assertEquals(50, t.n());
        assertTrue(t.difference().low() > 0 && t.difference().contains(0.16), t.difference().toString());
    }

    @Test
    void identicalScoresDifferByNothing() {
        double[] right = {1, 0, 1, 1, 0};
        PairedTest t = PairedTest.of(right, right.clone(), 1);
        assertEquals(1, t.pValue(), 0);
        assertEquals(new ConfidenceInterval(0, 0, 0, 0.95), t.difference());
        double[] loss = {0.2, 0.7, 1.3};
        assertEquals(1, PairedTest.of(loss, loss.clone(), 1).pValue(), 0);
    }

    @Test
    void pairedBootstrapFindsARealShiftAndRarelyOneThatIsNotThere() {
        SplittableRandom random = new SplittableRandom(21);
        int falseAlarms = 0;
        int covered = 0;
        for (int trial = 0; trial < 60; trial++) {
            double[] reference = new double[200];
            double[] shifted = new double[200];
            double[] same = new double[200];
            for (int i = 0; i < 200; i++) {
                // hard datapoints are hard for both: a shared per-datapoint level that pairing cancels
                double level = 3 * random.nextDouble();
                reference[i] = level + 0.2 * random.nextGaussian();
                shifted[i] = level + 0.15 + 0.2 * random.nextGaussian();
                same[i] = level + 0.2 * random.nextGaussian();
            }
            PairedTest real = PairedTest.of(shifted, reference, trial);
            assertEquals(PairedTest.Kind.PAIRED_BOOTSTRAP, real.test());
            // mean shift 0.15, standard error 0.2·√2/√200 = 0.02: z = 7.5, and p < 0.01 needs z > 2.6
            assertTrue(real.pValue() < 0.01, "trial " + trial + ": " + real);
            if (real.difference().contains(0.15)) {
                covered++;
            }
            if (PairedTest.of(same, reference, trial).pValue() < 0.05) {
                falseAlarms++;
            }
        }
        // at most ~5 % expected; 60 trials give 3 ± 1.7
        assertTrue(falseAlarms <= 8, falseAlarms + " of 60 null comparisons had p < 0.05");
        assertTrue(covered >= 51, "the 95 % interval of the difference held the true shift in " + covered + " of 60");
    }

    @Test
    void sameSeedSameResult() {
        double[] a = {0.1, 0.5, 0.9, 0.3, 0.7};
        double[] b = {0.2, 0.4, 0.6, 0.3, 0.5};
        assertEquals(PairedTest.of(a, b, 5), PairedTest.of(a, b, 5));
    }

    @Test
    void rejectsUnpairedScores() {
        assertThrows(IllegalArgumentException.class, () -> PairedTest.of(new double[] {1, 0}, new double[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> PairedTest.of(new double[0], new double[0], 1));
    }
}
