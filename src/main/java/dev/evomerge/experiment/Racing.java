package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Racing: score each candidate first on a seeded sample of {@code fraction} of every task's datapoints
 * (stratified by label where the task has labels, so a file sorted by class or source does not bias it),
 * and finish it on the remaining datapoints, with the same materialized candidate, only if the Pareto front
 * does not beat it there by more than {@code margin} (in every objective's own units, in its better
 * direction). The others keep their sample's scores, are logged as {@code raced}, stay out of the archive,
 * and are told to the strategy as raced.
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

    /**
     * The sample a candidate is first scored on: sorted indices into a task of {@code size} datapoints, about
     * {@code fraction} of each label's datapoints (of all of them when {@code labels} is null), at least one.
     * A function of the seed and the task alone, so every candidate, a resumed run and an export see the same.
     */
    public int[] sample(int size, int[] labels, long seed) {
        TreeMap<Integer, List<Integer>> strata = new TreeMap<>();
        for (int i = 0; i < size; i++) {
            strata.computeIfAbsent(labels == null ? 0 : labels[i], k -> new ArrayList<>()).add(i);
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<Integer> chosen = new ArrayList<>();
        for (List<Integer> stratum : strata.values()) {
            int take = (int) Math.round(fraction * stratum.size());
            // a partial Fisher–Yates shuffle draws `take` of the stratum without replacement
            for (int i = 0; i < take; i++) {
                int j = i + random.nextInt(stratum.size() - i);
                Integer t = stratum.get(i);
                stratum.set(i, stratum.get(j));
                stratum.set(j, t);
                chosen.add(stratum.get(i));
            }
        }
        if (chosen.isEmpty()) {
            chosen.add(random.nextInt(size));
        }
        return chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The datapoints of a task of {@code size} not in {@code sample} (sorted), in order. */
    static int[] rest(int size, int[] sample) {
        return java.util.stream.IntStream.range(0, size).filter(i -> Arrays.binarySearch(sample, i) < 0).toArray();
    }
}
