package dev.evomerge.archive;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The non-dominated set of everything evaluated so far, by evaluation number. Objectives are oriented so
 * that larger is better (the Runner negates minimized ones before they come here). A point equal in every
 * objective to one already archived adds no trade-off and is not kept: the earlier evaluation stands.
 *
 * @implNote not thread-safe; the Runner owns it.
 */
public final class ParetoArchive {
    /** One archived evaluation: its number in the run and its oriented objectives. */
    public record Entry(long evaluation, double[] objectives) {
        public Entry {
            objectives = objectives.clone();
        }

        @Override
        public double[] objectives() {
            return objectives.clone();
        }
    }

    private final List<Entry> front = new ArrayList<>();

    /** Adds the evaluation if nothing in the archive dominates it, removing what it dominates; true if added. */
    public boolean add(long evaluation, double[] objectives) {
        for (Entry e : front) {
            if (Dominance.dominates(e.objectives, objectives) || java.util.Arrays.equals(e.objectives, objectives)) {
                return false;
            }
        }
        front.removeIf(e -> Dominance.dominates(objectives, e.objectives));
        front.add(new Entry(evaluation, objectives));
        return true;
    }

    /** The front, sorted by the first objective (best first), then by evaluation number. */
    public List<Entry> front() {
        List<Entry> sorted = new ArrayList<>(front);
        sorted.sort(Comparator.comparingDouble((Entry e) -> -e.objectives[0]).thenComparingLong(Entry::evaluation));
        return List.copyOf(sorted);
    }

    public int size() {
        return front.size();
    }

    public double hypervolume(double[] reference) {
        return Hypervolume.of(front.stream().map(e -> e.objectives).toList(), reference);
    }

    /** The best value seen of each objective (oriented). */
    public double[] best() {
        double[] best = null;
        for (Entry e : front) {
            if (best == null) {
                best = e.objectives.clone();
            }
            for (int i = 0; i < best.length; i++) {
                best[i] = Math.max(best[i], e.objectives[i]);
            }
        }
        return best;
    }
}
