package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.genome.Genome;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A search strategy as ask / tell: the Runner owns the one loop, the budget, the cache and checkpoints;
 * a strategy only proposes genomes and learns from their outcomes.
 *
 * <p>Contract for implementors:
 * <ul>
 *   <li>{@link #ask} returns the next batch (at least one genome); the Runner evaluates every genome of
 *       it and calls {@link #tell} once with the outcomes in the same order before asking again.</li>
 *   <li>All randomness comes from the generator passed to {@code ask} (the Runner derives it from the
 *       experiment seed and the step number, so a resumed run draws the same numbers); a strategy keeps
 *       no generator of its own and never reads the clock.</li>
 *   <li>{@link #state} captures everything {@code ask}/{@code tell} depend on; a fresh instance made
 *       with the same configuration and given {@link #restore} continues exactly as the original would.
 *       It is called between a {@code tell} and the next {@code ask}.</li>
 *   <li>No loops over generations, no sleeping, logging of progress or file writes.</li>
 * </ul>
 * Outcomes are maximized in every objective (see {@link Outcome}).
 */
public interface Strategy {
    /** The strategy's name as written in experiment YAML ({@code ga}, {@code nsga2}, {@code cmaes}, …). */
    String name();

    List<Genome> ask(RandomGenerator random);

    void tell(List<Genome> genomes, List<Outcome> outcomes);

    /**
     * Starts the search from these genomes (the models being merged, pretrained networks) instead of
     * random ones: the first asks return them. Called once, before the first ask; strategies whose
     * method has no such start refuse.
     */
    default void startFrom(List<Genome> starts) {
        throw new dev.evomerge.EvomergeException("strategy " + name() + " cannot start from given genomes (m2n2 and map_elites can)");
    }

    /** A line on what the strategy has learned so far, for the run log (e.g. MAP's surrogate error); empty for none. */
    default String note() {
        return "";
    }

    /** A JSON snapshot of the whole state. */
    JsonNode state();

    /** Replaces this strategy's state by a snapshot from {@link #state}. */
    void restore(JsonNode state);
}
