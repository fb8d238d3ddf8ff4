package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.tensor.HalfPrecision;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MagnitudeSelectTest {
    @Test
    void agreesWithSortingAtEveryRankIncludingTiesZerosAndInfinity() {
        Random random = new Random(5);
        float[] values = new float[5000];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (i % 7) {
                case 0 -> 0f;
                case 1 -> 0.5f;                                      // many ties
                case 2 -> Float.MIN_VALUE * random.nextInt(100);     // subnormals
                case 3 -> Float.POSITIVE_INFINITY;
                default -> (float) Math.abs(random.nextGaussian() * 1e-3);
            };
        }
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        for (int k = 0; k < values.length; k += 37) {
            assertEquals(sorted[k], MagnitudeSelect.kthSmallest(values, k), "rank " + k);
        }
        assertEquals(sorted[values.length - 1], MagnitudeSelect.kthSmallest(values, values.length - 1));
    }

    @Test
    void settlesRanksAmongABucketsSmallestValueInTheFirstPassAndTheRestInTheSecond() {
        Random random = new Random(7);
        float[] values = new float[20000];
        for (int i = 0; i < values.length; i++) {
            float v = (float) random.nextGaussian() * 0.01f;
            // mostly bf16 values (low 16 bits zero: each its bucket's smallest), every 5th a full f32
            values[i] = i % 5 == 0 ? v : HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(v));
        }
        float[] sorted = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            sorted[i] = Math.abs(values[i]);
        }
        Arrays.sort(sorted);
        int[] counters = new int[MagnitudeSelect.COUNTERS];
        MagnitudeSelect.countHigh(values, 0, values.length, counters);
        int settled = 0;
        for (int k = 0; k < values.length; k += 7) {
            assertEquals(sorted[k], MagnitudeSelect.kthSmallestMagnitude(values, k), "rank " + k);
            settled += MagnitudeSelect.locate(counters, k).settled() ? 1 : 0;
        }
        // both ways were taken, most ranks without the second pass
        int ranks = (values.length + 6) / 7;
        assertTrue(settled > ranks / 2 && settled < ranks, settled + " of " + ranks + " settled in the first pass");
    }
}
