package dev.evomerge.search;

/**
 * What a strategy is told about one evaluated genome.
 *
 * @param objectives every objective, oriented so that <b>larger is better</b> (the Runner negates
 *                   objectives the experiment minimizes, so strategies never need to know)
 * @param datapoints one score per calibration datapoint across all tasks, in a fixed order (M2N2's
 *                   score matrix; larger is better: the Runner negates the scores of tasks where lower
 *                   is better); empty where the evaluator gives none
 * @param raced      racing stopped the genome after a sample of the datapoints: the objectives are the
 *                   sample's (an estimate that the front beat), the datapoints the sample's only. Strategies
 *                   that rank a batch may rank it by them; those that keep an archive of scored individuals
 *                   (M2N2, MAP-Elites, MAP's surrogates) leave it out.
 */
public record Outcome(double[] objectives, double[] datapoints, boolean raced) {
    public Outcome(double[] objectives, double[] datapoints) {
        this(objectives, datapoints, false);
    }

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
