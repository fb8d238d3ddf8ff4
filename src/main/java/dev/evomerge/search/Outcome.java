package dev.evomerge.search;

/**
 * What a strategy is told about one evaluated genome.
 *
 * @param objectives every objective, oriented so that <b>larger is better</b> (the Runner negates
 *                   objectives the experiment minimizes, so strategies never need to know)
 * @param datapoints one score per calibration datapoint across all tasks, in a fixed order (M2N2's
 *                   score matrix; larger is better); empty where the evaluator gives none
 */
public record Outcome(double[] objectives, double[] datapoints) {
    public Outcome {
        if (objectives.length == 0) {
            throw new IllegalArgumentException("an outcome needs at least one objective");
        }
        objectives = objectives.clone();
        datapoints = datapoints.clone();
    }

    public static Outcome of(double... objectives) {
        return new Outcome(objectives, new double[0]);
    }

    @Override
    public double[] objectives() {
        return objectives.clone();
    }

    @Override
    public double[] datapoints() {
        return datapoints.clone();
    }

    public double objective(int index) {
        return objectives[index];
    }
}
