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
     * A cheaper first look for racing: each genome scored on the first {@code fraction} of every task's
     * datapoints. By default the full evaluation (a problem with nothing to subsample).
     */
    default List<Evaluation> evaluatePartly(List<Genome> genomes, double fraction) {
        return evaluate(genomes);
    }

    /**
     * Points to compare the search with, evaluated once when a run starts (for a merge: each source model
     * alone and the untuned merge); none by default.
     */
    default List<Reference> references() {
        return List.of();
    }

    /** A labelled evaluation outside the search. */
    record Reference(String label, Evaluation evaluation) {
    }

    /** Frees what the problem holds (models on a device). */
    @Override
    default void close() {
    }
}
