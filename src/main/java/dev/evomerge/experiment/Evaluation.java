package dev.evomerge.experiment;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a problem says of one genome: its objective values (as the user reads them, not oriented) and,
 * where there are some, the score of every datapoint of every task (kept so that M2N2 and re-aggregation
 * need no re-evaluation), plus a description of the candidate (a merge recipe) for the log. {@code partial}: racing
 * stopped it after its sample of the datapoints; the scores are the sample's.
 */
public record Evaluation(double[] objectives, Map<String, double[]> scores, String description, boolean partial) {
    public Evaluation(double[] objectives, Map<String, double[]> scores, String description) {
        this(objectives, scores, description, false);
    }

    public Evaluation {
        objectives = objectives.clone();
        Map<String, double[]> copy = new LinkedHashMap<>();
        scores.forEach((k, v) -> copy.put(k, v.clone()));
        scores = java.util.Collections.unmodifiableMap(copy);
    }

    public static Evaluation of(double... objectives) {
        return new Evaluation(objectives, Map.of(), null);
    }

    @Override
    public double[] objectives() {
        return objectives.clone();
    }

    /** Every task's datapoint scores, concatenated in task order (M2N2's row of the score matrix). */
    public double[] datapoints() {
        return scores.values().stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    /** The datapoint scores as strategies read them: negated for the tasks where lower is better. */
    public double[] orientedDatapoints(java.util.function.Predicate<String> higherIsBetter) {
        return scores.entrySet().stream().flatMapToDouble(e -> {
            double sign = higherIsBetter.test(e.getKey()) ? 1 : -1;
            return java.util.Arrays.stream(e.getValue()).map(v -> sign * v);
        }).toArray();
    }
}
