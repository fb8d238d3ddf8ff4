package dev.evomerge.experiment;

import dev.evomerge.archive.Dominance;
import dev.evomerge.archive.ParetoArchive;
import java.util.List;
import java.util.function.Predicate;

/**
 * Racing's rule for a candidate scored on its sample: it goes on to the rest of the datapoints unless a point
 * of the Pareto front beats the sample's objectives, each moved {@code margin} in its better direction
 * (everything finishes while the front is empty). A value, not a closure over the archive, so that a worker in
 * another process can be sent the front and rebuild the same rule.
 *
 * @param objectives the objectives, for their directions
 * @param front      the front's objective vectors, oriented (larger is better)
 */
public record ParetoFinish(List<Objective> objectives, List<double[]> front, double margin) implements Predicate<Evaluation> {
    public ParetoFinish {
        objectives = List.copyOf(objectives);
        front = front.stream().map(double[]::clone).toList();
        for (double[] point : front) {
            if (point.length != objectives.size()) {
                throw new IllegalArgumentException("a front point has " + point.length + " objectives, not " + objectives.size());
            }
        }
    }

    public static ParetoFinish of(List<Objective> objectives, List<ParetoArchive.Entry> front, double margin) {
        return new ParetoFinish(objectives, front.stream().map(ParetoArchive.Entry::objectives).toList(), margin);
    }

    @Override
    public List<double[]> front() {
        return front.stream().map(double[]::clone).toList();
    }

    @Override
    public boolean test(Evaluation partial) {
        double[] raw = partial.objectives();
        double[] o = new double[raw.length];
        for (int j = 0; j < o.length; j++) {
            o[j] = objectives.get(j).orient(raw[j]) + margin;
        }
        return front.stream().noneMatch(point -> Dominance.dominates(point, o));
    }
}
