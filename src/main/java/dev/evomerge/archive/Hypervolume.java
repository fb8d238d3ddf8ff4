package dev.evomerge.archive;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The hypervolume of a set of points (maximization): the measure of the region they dominate, bounded by a
 * reference point that every counted point beats in every objective. Exact: a sweep for two objectives,
 * slicing on the last objective (HSO, While et al. 2006) for more, which is fast for the front sizes of a
 * model-merge search (tens to hundreds of points, 2 to 4 objectives).
 */
public final class Hypervolume {
    private Hypervolume() {
    }

    public static double of(List<double[]> points, double[] reference) {
        List<double[]> counted = new ArrayList<>();
        for (double[] p : points) {
            if (p.length != reference.length) {
                throw new IllegalArgumentException("point of " + p.length + " objectives, reference of " + reference.length);
            }
            boolean beats = true;
            for (int i = 0; i < p.length; i++) {
                beats &= p[i] > reference[i];
            }
            if (beats) {
                counted.add(p);
            }
        }
        return volume(counted, reference, reference.length);
    }

    /** The volume dominated in the first {@code k} objectives. */
    private static double volume(List<double[]> points, double[] reference, int k) {
        if (points.isEmpty()) {
            return 0;
        }
        if (k == 1) {
            return points.stream().mapToDouble(p -> p[0]).max().orElseThrow() - reference[0];
        }
        if (k == 2) {
            List<double[]> sorted = new ArrayList<>(points);
            sorted.sort(Comparator.comparingDouble((double[] p) -> -p[0]));
            double area = 0;
            double best = reference[1];
            for (double[] p : sorted) {
                if (p[1] > best) {
                    area += (p[0] - reference[0]) * (p[1] - best);
                    best = p[1];
                }
            }
            return area;
        }
        // slice on objective k−1: between consecutive levels, the points at or above the level make a
        // (k−1)-dimensional volume
        List<double[]> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble((double[] p) -> -p[k - 1]));
        double total = 0;
        List<double[]> active = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            active.add(sorted.get(i));
            double top = sorted.get(i)[k - 1];
            double next = i + 1 < sorted.size() ? sorted.get(i + 1)[k - 1] : reference[k - 1];
            if (top > next) {
                total += volume(active, reference, k - 1) * (top - next);
            }
        }
        return total;
    }
}
