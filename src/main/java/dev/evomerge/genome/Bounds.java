package dev.evomerge.genome;

/**
 * The box a genome space lives in: {@code lower[i] <= genome.get(i) <= upper[i]}.
 * Strategies sample and clip within it; genome spaces declare it.
 *
 * @implNote immutable.
 */
public record Bounds(double[] lower, double[] upper) {
    public Bounds {
        if (lower.length != upper.length) {
            throw new IllegalArgumentException("bounds of different lengths: " + lower.length + " and " + upper.length);
        }
        for (int i = 0; i < lower.length; i++) {
            if (!(lower[i] <= upper[i]) || !Double.isFinite(lower[i]) || !Double.isFinite(upper[i])) {
                throw new IllegalArgumentException("bad bounds at " + i + ": [" + lower[i] + ", " + upper[i] + "]");
            }
        }
        lower = lower.clone();
        upper = upper.clone();
    }

    /** The same interval for every one of {@code dimension} values. */
    public static Bounds uniform(int dimension, double lower, double upper) {
        double[] lo = new double[dimension];
        double[] hi = new double[dimension];
        java.util.Arrays.fill(lo, lower);
        java.util.Arrays.fill(hi, upper);
        return new Bounds(lo, hi);
    }

    public int dimension() {
        return lower.length;
    }

    public double lower(int i) {
        return lower[i];
    }

    public double upper(int i) {
        return upper[i];
    }

    @Override
    public double[] lower() {
        return lower.clone();
    }

    @Override
    public double[] upper() {
        return upper.clone();
    }

    /** The genome moved into the box, value by value. */
    public Genome clip(double[] values) {
        double[] clipped = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            clipped[i] = Math.min(upper[i], Math.max(lower[i], values[i]));
        }
        return Genome.of(clipped);
    }

    public boolean contains(Genome genome) {
        if (genome.size() != dimension()) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            if (genome.get(i) < lower[i] || genome.get(i) > upper[i]) {
                return false;
            }
        }
        return true;
    }
}
