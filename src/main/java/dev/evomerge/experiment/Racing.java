package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import java.util.Set;

/**
 * Racing: score each new candidate on the first {@code fraction} of every task's datapoints, and finish only
 * those that the Pareto front does not beat there by more than {@code margin} (in every objective's own
 * units, in its better direction). The others keep their subset scores, are logged as {@code raced} and stay
 * out of the archive.
 */
public record Racing(double fraction, double margin) {
    public Racing {
        if (!(fraction > 0 && fraction < 1)) {
            throw new EvomergeException("racing.fraction must be between 0 and 1 (exclusive), got " + fraction);
        }
        if (!(margin >= 0)) {
            throw new EvomergeException("racing.margin must be 0 or more, got " + margin);
        }
    }

    static Racing parse(JsonNode node) {
        if (!node.isObject()) {
            throw new EvomergeException("racing must be a mapping {fraction, margin}");
        }
        ExperimentConfig.known(node, Set.of("fraction", "margin"), "racing.");
        return new Racing(node.path("fraction").asDouble(0.25), node.path("margin").asDouble(0.0));
    }
}
