package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
