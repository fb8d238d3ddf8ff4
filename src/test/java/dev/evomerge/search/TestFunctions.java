package dev.evomerge.search;

import dev.evomerge.genome.Genome;

/** The classic test functions, minimized; strategies are told their negation. */
final class TestFunctions {
    private TestFunctions() {
    }

    static double sphere(Genome x) {
        double s = 0;
        for (int i = 0; i < x.size(); i++) {
            s += x.get(i) * x.get(i);
        }
        return s;
    }

    /** Condition number 10⁶. */
    static double ellipsoid(Genome x) {
        double s = 0;
        int n = x.size();
        for (int i = 0; i < n; i++) {
            s += Math.pow(1e6, n == 1 ? 0 : (double) i / (n - 1)) * x.get(i) * x.get(i);
        }
        return s;
    }

    static double rosenbrock(Genome x) {
        double s = 0;
        for (int i = 0; i + 1 < x.size(); i++) {
            double a = x.get(i + 1) - x.get(i) * x.get(i);
            double b = 1 - x.get(i);
            s += 100 * a * a + b * b;
        }
        return s;
    }

    /** ZDT1 and ZDT2 (Zitzler, Deb, Thiele 2000), both objectives minimized, x in [0, 1]ⁿ. */
    static double[] zdt(Genome x, boolean second) {
        double f1 = x.get(0);
        double sum = 0;
        for (int i = 1; i < x.size(); i++) {
            sum += x.get(i);
        }
        double g = 1 + 9 * sum / (x.size() - 1);
        double h = second ? 1 - (f1 / g) * (f1 / g) : 1 - Math.sqrt(f1 / g);
        return new double[] {f1, g * h};
    }

    /** Steps firstStep.. of an ask/tell loop (random seeded per step), each genome told score(genome); what was asked. */
    static java.util.List<java.util.List<Genome>> drive(Strategy s, java.util.function.Function<Genome, Outcome> score, long seed,
                                                        int firstStep, int steps) {
        java.util.List<java.util.List<Genome>> asked = new java.util.ArrayList<>();
        for (int step = firstStep; step < firstStep + steps; step++) {
            java.util.List<Genome> genomes = s.ask(new java.util.SplittableRandom(seed * 1_000_003 + step));
            s.tell(genomes, genomes.stream().map(score).toList());
            asked.add(genomes);
        }
        return asked;
    }
}
