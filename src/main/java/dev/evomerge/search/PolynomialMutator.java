package dev.evomerge.search;

import io.jenetics.DoubleGene;
import io.jenetics.Mutator;
import java.util.random.RandomGenerator;

/**
 * Deb's polynomial mutation (the NSGA-II paper's operator) as a Jenetics mutator: a gene moves by a
 * perturbation drawn from a polynomial distribution of index η (larger η, smaller steps) that never leaves
 * the gene's range. Each gene mutates with the alter probability.
 */
final class PolynomialMutator<C extends Comparable<? super C>> extends Mutator<DoubleGene, C> {
    private final double eta;

    PolynomialMutator(double probability, double eta) {
        super(probability);
        this.eta = eta;
    }

    @Override
    protected DoubleGene mutate(DoubleGene gene, RandomGenerator random) {
        double lo = gene.min();
        double hi = gene.max();
        double x = gene.doubleValue();
        double span = hi - lo;
        double u = random.nextDouble();
        double power = 1.0 / (eta + 1);
        double delta;
        if (u < 0.5) {
            double xy = 1 - (x - lo) / span;
            delta = Math.pow(2 * u + (1 - 2 * u) * Math.pow(xy, eta + 1), power) - 1;
        } else {
            double xy = 1 - (hi - x) / span;
            delta = 1 - Math.pow(2 * (1 - u) + 2 * (u - 0.5) * Math.pow(xy, eta + 1), power);
        }
        // DoubleGene's range is [min, max): stay just below max
        double y = Math.min(Math.nextDown(hi), Math.max(lo, x + delta * span));
        return gene.newInstance(y);
    }
}
