package dev.evomerge.fitness;

import java.util.Arrays;
import java.util.Set;

/**
 * Feature vectors with class labels, held as one row-major float array (ready to become one matrix on the
 * device, so that a whole set is classified by one matrix product).
 *
 * @implNote immutable: arrays are copied in and out.
 */
public final class LabelledData {
    private final float[] inputs;
    private final int[] labels;
    private final int features;

    public LabelledData(float[] inputs, int[] labels, int features) {
        if (features < 1 || inputs.length != labels.length * features) {
            throw new IllegalArgumentException(inputs.length + " input values for " + labels.length + " rows of " + features);
        }
        this.inputs = inputs.clone();
        this.labels = labels.clone();
        this.features = features;
    }

    public int size() {
        return labels.length;
    }

    public int features() {
        return features;
    }

    public float[] inputs() {
        return inputs.clone();
    }

    public int[] labels() {
        return labels.clone();
    }

    public int label(int row) {
        return labels[row];
    }

    /** Every input value times {@code factor}. */
    public LabelledData scaled(float factor) {
        float[] x = inputs.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] *= factor;
        }
        return new LabelledData(x, labels, features);
    }

    /** The rows at {@code rows}, in that order. */
    public LabelledData rows(int[] rows) {
        float[] x = new float[rows.length * features];
        int[] y = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(inputs, rows[i] * features, x, i * features, features);
            y[i] = labels[rows[i]];
        }
        return new LabelledData(x, y, features);
    }

    /** The rows whose label is in {@code keep}. */
    public LabelledData withLabels(Set<Integer> keep) {
        return rows(java.util.stream.IntStream.range(0, size()).filter(i -> keep.contains(labels[i])).toArray());
    }

    /** A seeded shuffle cut into the first {@code fraction} (train) and the rest (test). */
    public LabelledData[] split(long seed, double fraction) {
        int[] order = DataSplit.shuffled(size(), seed);
        int cut = (int) Math.round(fraction * size());
        return new LabelledData[] {rows(Arrays.copyOfRange(order, 0, cut)), rows(Arrays.copyOfRange(order, cut, order.length))};
    }
}
