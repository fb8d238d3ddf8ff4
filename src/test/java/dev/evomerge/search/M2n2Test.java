package dev.evomerge.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class M2n2Test {
    private static M2n2 m2n2(String json, int dimension) {
        try {
            return (M2n2) Strategies.create("m2n2", new ObjectMapper().readTree(json), Bounds.uniform(dimension, 0, 1), 1);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Outcome scored(double... datapoints) {
        return new Outcome(new double[] {java.util.Arrays.stream(datapoints).average().orElse(0)}, datapoints);
    }

    @Test
    void resourceSharingFitnessMatchesHandComputedValues() {
        M2n2 sharing = m2n2("{\"population\": 3}", 2);
        sharing.tell(List.of(Genome.of(0, 0), Genome.of(0, 1), Genome.of(1, 0)),
                List.of(scored(1, 1, 0), scored(1, 0, 0), scored(0, 0, 1)));
        // z = (2, 1, 1): F = [[.5, 1, 0], [.5, 0, 0], [0, 0, 1]]
        double[][] f = sharing.shared();
        assertArrayEquals(new double[] {0.5, 1, 0}, f[0], 1e-12);
        assertArrayEquals(new double[] {1.5, 0.5, 1.0}, M2n2.fitness(f), 1e-12);
        M2n2 plain = m2n2("{\"population\": 3, \"alpha\": 0}", 2);
        plain.tell(List.of(Genome.of(0, 0), Genome.of(0, 1), Genome.of(1, 0)), List.of(scored(1, 1, 0), scored(1, 0, 0), scored(0, 0, 1)));
        assertArrayEquals(new double[] {2, 1, 1}, M2n2.fitness(plain.shared()), 1e-12, "alpha 0: the plain summed score");
    }

    @Test
    void aChildReplacesTheWorstUnlessItIsTheWorst() {
        M2n2 m = m2n2("{\"population\": 2}", 1);
        m.tell(List.of(Genome.of(0.1), Genome.of(0.2)), List.of(scored(1, 1, 0), scored(0, 0, 1)));
        m.tell(List.of(Genome.of(0.9)), List.of(scored(0, 0, 0))); // scores nothing: the worst, stays out
        assertEquals(List.of(0.1, 0.2), m.archive().stream().map(g -> g[0]).toList());
        m.tell(List.of(Genome.of(0.8)), List.of(scored(1, 1, 1))); // covers everything: the worst member goes
        assertEquals(2, m.archive().size());
        assertTrue(m.archive().stream().anyMatch(g -> g[0] == 0.8));
    }

    @Test
    void splitPointCrossoverSlerpsEachSideWithItsOwnRatio() {
        double[] p1 = {1, 0, 0.5, 0.2};
        double[] p2 = {0, 1, 0.1, 0.9};
        double[] out = new double[4];
        M2n2.slerp(0.3, p1, p2, 0, 2, out);
        // the first two entries: unit vectors 90° apart, so sin((1−t)π/2), sin(tπ/2)
        assertEquals(Math.sin(0.7 * Math.PI / 2), out[0], 1e-12);
        assertEquals(Math.sin(0.3 * Math.PI / 2), out[1], 1e-12);
        M2n2.slerp(0.7, p1, p2, 2, 4, out);
        double cos = (0.5 * 0.1 + 0.2 * 0.9) / Math.hypot(0.5, 0.2) / Math.hypot(0.1, 0.9);
        double omega = Math.acos(cos);
        assertEquals(Math.sin(0.3 * omega) / Math.sin(omega) * 0.5 + Math.sin(0.7 * omega) / Math.sin(omega) * 0.1, out[2], 1e-12);
    }

    /** Datapoint j scores when gene j is within 0.1 of a hidden target: a problem with niches. */
    private static double run(Strategy s, int budget, long seed) {
        double[] target = new SplittableRandom(99).doubles(20).toArray();
        double best = 0;
        int used = 0;
        for (int step = 0; used < budget; step++) {
            List<Genome> asked = s.ask(new SplittableRandom(seed * 1_000_003 + step));
            List<Outcome> told = new ArrayList<>();
            for (Genome g : asked) {
                double[] d = new double[20];
                for (int j = 0; j < 20; j++) {
                    d[j] = Math.abs(g.get(j) - target[j]) < 0.1 ? 1 : 0;
                }
                Outcome o = scored(d);
                best = Math.max(best, o.objective(0));
                told.add(o);
            }
            used += asked.size();
            s.tell(asked, told);
        }
        return best;
    }

    @Test
    void beatsRandomSearchAndEachAblationBehavesDifferently() {
        double random = run(Strategies.create("random", null, Bounds.uniform(20, 0, 1), 1), 3000, 1);
        double full = run(m2n2("{\"population\": 20, \"batch\": 5, \"mutation_std\": 0.02}", 20), 3000, 1);
        assertTrue(full > random + 0.2, "m2n2 " + full + " vs random " + random);
        List<Double> results = new ArrayList<>();
        for (String ablation : List.of("{}", "{\"crossover\": false}", "{\"split_point\": false}", "{\"matchmaker\": false}", "{\"alpha\": 0}")) {
            String json = ablation.equals("{}") ? "{\"population\": 10, \"mutation_std\": 0.02}"
                    : ablation.replace("{", "{\"population\": 10, \"mutation_std\": 0.02, ");
            M2n2 m = m2n2(json, 20);
            run(m, 300, 2);
            results.add(m.archive().stream().mapToDouble(g -> g[0]).sum());
        }
        assertEquals(results.size(), results.stream().distinct().count(), "every ablation changes the search: " + results);
    }
}
