package dev.evomerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import dev.evomerge.genome.Bounds;
import java.util.List;

/** The one registry of strategies, keyed by the name experiments use. */
public final class Strategies {
    public static final List<String> NAMES = List.of("random", "ga", "nsga2", "cmaes", "m2n2", "map_elites", "map");

    private Strategies() {
    }

    /**
     * A new strategy over {@code bounds} for {@code objectives} objectives, configured by
     * {@code hyperparameters} (a mapping; unknown keys are rejected).
     */
    public static Strategy create(String name, JsonNode hyperparameters, Bounds bounds, int objectives) {
        Hyperparameters h = Hyperparameters.of(name, hyperparameters);
        Strategy strategy = switch (name) {
            case "random" -> RandomSearch.of(h, bounds);
            case "ga" -> GeneticAlgorithm.of(h, bounds, objectives);
            case "nsga2" -> Nsga2.of(h, bounds, objectives);
            case "cmaes" -> CmaEs.of(h, bounds, objectives);
            case "m2n2" -> M2n2.of(h, bounds);
            case "map_elites" -> MapElites.of(h, bounds);
            case "map" -> AmortizedParetoFront.of(h, bounds, objectives);
            default -> throw new EvomergeException("unknown strategy '" + name + "'" + DidYouMean.suggest(name, NAMES));
        };
        h.rejectUnknown();
        return strategy;
    }
}
