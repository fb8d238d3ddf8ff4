package dev.evomerge.genome;

import java.util.Arrays;

/**
 * One point of a genome space: an immutable vector of doubles.
 *
 * <p>Every strategy proposes genomes in this one form (coefficients, routing indicators and scales, or
 * a whole flattened weight vector for M2N2); a {@code GenomeSpace} gives them meaning. The array is
 * copied in and never handed out, so a genome can be a map key and a cache key.
 *
 * @implNote immutable and thread-safe.
 */
public final class Genome {
    private final double[] values;
    private final int hash;

    private Genome(double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("genome value " + i + " is not finite: " + values[i]);
            }
        }
        this.values = values;
        this.hash = Arrays.hashCode(values);
    }

    public static Genome of(double... values) {
        return new Genome(values.clone());
    }

    public int size() {
        return values.length;
    }

    public double get(int index) {
        return values[index];
    }

    /** A copy of the values. */
    public double[] toArray() {
        return values.clone();
    }

    /** A new genome with value {@code index} replaced. */
    public Genome with(int index, double value) {
        double[] copy = values.clone();
        copy[index] = value;
        return new Genome(copy);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Genome g && hash == g.hash && Arrays.equals(values, g.values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
