package dev.evomerge.experiment;

import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.List;

/**
 * What a search optimizes: genomes in a box, scored on named objectives. The Runner asks a strategy for
 * genomes, gives them here in batches, and keeps the rest (archive, log, checkpoints) itself.
 *
 * @implSpec {@link #evaluate} is deterministic for a genome (random drops in merges are seeded from the
 *     recipe), returns one evaluation per genome in order, and keeps no state between calls that would
 *     change a later result: a resumed run re-evaluates the genomes after its checkpoint.
 */
public interface Problem extends AutoCloseable {
    Bounds bounds();

    List<Objective> objectives();

    List<Evaluation> evaluate(List<Genome> genomes);

    /**
     * Evaluation under racing: each genome scored on the screen's sample of every task's datapoints, then,
     * on the same candidate, on the rest if {@code screen.finish()} accepts the sample's evaluation; else the
     * sample's evaluation is returned, marked {@link Evaluation#partial}. A null {@code screen} (no racing)
     * is the full evaluation; so is every screen by default (a problem with no datapoints to sample).
     */
    default List<Evaluation> evaluate(List<Genome> genomes, Screen screen) {
        return evaluate(genomes);
    }

    /**
     * The genomes scored on the held-out split of every task (for reporting, never for selection), in full;
     * null when the problem has no held-out data.
     */
    default List<Evaluation> evaluateHeldout(List<Genome> genomes) {
        return null;
    }

    /** Whether a higher datapoint score of {@code task} is better. */
    default boolean higherIsBetter(String task) {
        return true;
    }

    /**
     * Racing's screen: the racing settings, the seed of each task's sample (the task's index in the
     * experiment), and whether a candidate scored on the sample goes on to the rest.
     */
    record Screen(Racing racing, long seed, java.util.function.Predicate<Evaluation> finish) {
        long sampleSeed(int task) {
            return Runner.stepSeed(seed ^ 0x5A4D504C45L, task); // "SAMPLE": apart from the strategies' step seeds
        }
    }

    /**
     * Points to compare the search with, evaluated once when a run starts (for a merge: each source model
     * alone and the untuned merge); none by default.
     */
    default List<Reference> references() {
        return List.of();
    }

    /** A labelled evaluation outside the search, with its held-out evaluation (null when there is none). */
    record Reference(String label, Evaluation evaluation, Evaluation heldout) {
    }

    /** Frees what the problem holds (models on a device). */
    @Override
    default void close() {
    }
}
