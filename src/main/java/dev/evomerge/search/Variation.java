package dev.evomerge.search;

import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.random.RandomGenerator;

/**
 * The variation operators M2N2's code shares between M2N2, its GA (α = 0) and MAP-Elites: starts,
 * fitness-proportional draws, split-point SLERP crossover and Gaussian mutation.
 */
final class Variation {
    private Variation() {
    }

    /** A start: N(0, initStd²) per gene when initStd > 0 (the paper's from-scratch start), else uniform in the bounds. */
    static Genome start(Bounds bounds, double initStd, RandomGenerator random) {
        if (initStd <= 0) {
            return RandomSearch.uniform(bounds, random);
        }
        double[] x = new double[bounds.dimension()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian() * initStd;
        }
        return bounds.clip(x);
    }

    /** An index drawn in proportion to the weights (uniform when none is positive). */
    static int proportional(double[] weights, RandomGenerator random) {
        double total = 0;
        for (double w : weights) {
            total += Math.max(0, w);
        }
        if (!(total > 0)) {
            return random.nextInt(weights.length);
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            r -= Math.max(0, weights[i]);
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /**
     * M2N2's crossover: one SLERP angle ω between the parents' whole vectors; entries before {@code split}
     * move from p1 toward p2 by {@code w}, the rest by {@code 1 − w} (split = length: one plain SLERP).
     * Linear interpolation where the parents are (nearly) colinear, as the paper's code does.
     */
    static double[] slerp(double[] p1, double[] p2, double w, int split) {
        double cos = Math.clamp(cosine(p1, p2, 1), -1, 1);
        double omega = Math.acos(cos);
        double sin = Math.sin(omega);
        double[] out = new double[p1.length];
        for (int part = 0; part < 2; part++) {
            double t = part == 0 ? w : 1 - w;
            int from = part == 0 ? 0 : split;
            int to = part == 0 ? split : p1.length;
            double s1 = sin > 1e-6 ? Math.sin((1 - t) * omega) / sin : 1 - t;
            double s2 = sin > 1e-6 ? Math.sin(t * omega) / sin : t;
            for (int i = from; i < to; i++) {
                out[i] = s1 * p1[i] + s2 * p2[i];
            }
        }
        return out;
    }

    /** The cosine of the angle between a and b; {@code ifZero} when either is the zero vector. */
    static double cosine(double[] a, double[] b, double ifZero) {
        double na = 0;
        double nb = 0;
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            na += a[i] * a[i];
            nb += b[i] * b[i];
            dot += a[i] * b[i];
        }
        return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : ifZero;
    }

    /** The split-point crossover with a random split and ratio, or without a split point (one SLERP). */
    static double[] crossover(double[] p1, double[] p2, boolean splitPoint, RandomGenerator random) {
        double w = random.nextDouble();
        int split = splitPoint ? random.nextInt(p1.length) : p1.length;
        return slerp(p1, p2, w, split);
    }

    /** Adds N(0, std²) to every gene (in place) when std > 0. */
    static void mutate(double[] x, double std, RandomGenerator random) {
        if (std > 0) {
            for (int i = 0; i < x.length; i++) {
                x[i] += random.nextGaussian() * std;
            }
        }
    }
}
