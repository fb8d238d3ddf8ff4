package dev.evomerge.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ParetoArchiveTest {
    @Test
    void keepsExactlyTheNonDominatedPoints() {
        ParetoArchive archive = new ParetoArchive();
        assertTrue(archive.add(0, new double[] {1, 1}));
        assertTrue(archive.add(1, new double[] {2, 0}));
        assertFalse(archive.add(2, new double[] {0.5, 0.5}), "dominated by the first");
        assertFalse(archive.add(3, new double[] {1, 1}), "equal scores: no new trade-off, the earlier one stands");
        assertTrue(archive.add(4, new double[] {2, 2}), "dominates everything");
        assertEquals(List.of(4L), archive.front().stream().map(ParetoArchive.Entry::evaluation).toList());
    }

    @Test
    void hypervolumeMatchesHandComputedAreasAndVolumes() {
        double[] ref = {0, 0};
        assertEquals(6.0, Hypervolume.of(List.of(new double[] {2, 3}), ref), 1e-12);
        // staircase: (3,1), (2,2), (1,3) → 3 + 2 + 1
        assertEquals(6.0, Hypervolume.of(List.of(new double[] {3, 1}, new double[] {2, 2}, new double[] {1, 3}), ref), 1e-12);
        // a point not beating the reference counts nothing
        assertEquals(6.0, Hypervolume.of(List.of(new double[] {2, 3}, new double[] {-1, 5}), ref), 1e-12);
        // 3D: two boxes 2×2×1 and 1×1×2 overlapping in 1×1×1 → 4 + 2 − 1
        assertEquals(5.0, Hypervolume.of(List.of(new double[] {2, 2, 1}, new double[] {1, 1, 2}), new double[] {0, 0, 0}), 1e-12);
    }

    @Test
    void hypervolumeAgreesWithMonteCarloInFourDimensions() {
        Random random = new Random(3);
        List<double[]> points = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            points.add(new double[] {random.nextDouble(), random.nextDouble(), random.nextDouble(), random.nextDouble()});
        }
        double exact = Hypervolume.of(points, new double[4]);
        int inside = 0;
        int samples = 400_000;
        for (int s = 0; s < samples; s++) {
            double[] x = {random.nextDouble(), random.nextDouble(), random.nextDouble(), random.nextDouble()};
            for (double[] p : points) {
                if (x[0] <= p[0] && x[1] <= p[1] && x[2] <= p[2] && x[3] <= p[3]) {
                    inside++;
                    break;
                }
            }
        }
        assertEquals((double) inside / samples, exact, 0.005);
    }
}
