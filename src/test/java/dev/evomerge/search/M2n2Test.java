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
    void theFirstAsksAreTheGivenStartsThenChildrenOfThem() {
        M2n2 m = m2n2("{\"population\": 5, \"batch\": 2, \"crossover\": false}", 2);
        m.startFrom(List.of(Genome.of(0.2, 0.9), Genome.of(0.8, 0.1)));
        List<Genome> first = m.ask(new SplittableRandom(1));
        assertEquals(List.of(Genome.of(0.2, 0.9), Genome.of(0.8, 0.1)), first);
        m.tell(first, List.of(scored(1, 0), scored(0, 1)));
        for (int step = 2; step < 12; step++) {
            // no random starts after the given ones: without crossover every child is a copy of one of them
            for (Genome child : m.ask(new SplittableRandom(step))) {
                assertTrue(first.contains(child), child.toString());
            }
        }
    }

    @Test
    void splitPointCrossoverUsesOneAngleAndOppositeRatiosOnEachSide() {
        double[] p1 = {1, 0, 0.5, 0.2};
        double[] p2 = {0, 1, 0.1, 0.9};
        double[] out = Variation.slerp(p1, p2, 0.3, 2);
        // one angle between the whole vectors, as the paper's code computes it
        double cos = (0.5 * 0.1 + 0.2 * 0.9) / Math.sqrt(1 + 0.25 + 0.04) / Math.sqrt(1 + 0.01 + 0.81);
        double omega = Math.acos(cos);
        double before1 = Math.sin(0.7 * omega) / Math.sin(omega);
        double before2 = Math.sin(0.3 * omega) / Math.sin(omega);
        assertEquals(before1 * 1 + before2 * 0, out[0], 1e-12);
        assertEquals(before1 * 0 + before2 * 1, out[1], 1e-12);
        // after the split the ratio is 1 − w = 0.7
        assertEquals(Math.sin(0.3 * omega) / Math.sin(omega) * 0.5 + Math.sin(0.7 * omega) / Math.sin(omega) * 0.1, out[2], 1e-12);
        // colinear parents: linear interpolation
        assertArrayEquals(new double[] {1.3, 2.6}, Variation.slerp(new double[] {1, 2}, new double[] {2, 4}, 0.3, 2), 1e-12);
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

    /** A full archive (6 members, 3 datapoints each) on a 4-dimensional box, steps 0..n-1 told with niche scores. */
    private static M2n2 filled(String json, int steps) {
        M2n2 m = m2n2(json, 4);
        drive(m, 0, steps);
        return m;
    }

    private static List<List<Genome>> drive(M2n2 m, int firstStep, int steps) {
        return TestFunctions.drive(m, g -> scored(g.get(0) > 0.5 ? 1 : 0, g.get(1) > 0.5 ? 1 : 0, g.get(2) + g.get(3) > 1 ? 1 : 0),
                7, firstStep, steps);
    }

    @Test
    void restoredArchiveAndScoresContinueExactlyLikeTheOriginal() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String config = "{\"population\": 6, \"batch\": 2, \"mutation_std\": 0.01}";
        M2n2 original = filled(config, 8); // 16 told: the archive is full and children are being bred
        M2n2 restored = m2n2(config, 4);
        restored.restore(json.readTree(json.writeValueAsString(original.state())));
        List<List<Genome>> a = drive(original, 8, 6);
        List<List<Genome>> b = drive(restored, 8, 6);
        assertEquals(a, b);
        assertEquals(json.writeValueAsString(original.state()), json.writeValueAsString(restored.state()));
    }

    @Test
    void withoutCrossoverAChildIsACopyOfAnArchiveMember() {
        M2n2 m = filled("{\"population\": 6, \"crossover\": false}", 6);
        List<double[]> archive = m.archive();
        for (int step = 0; step < 20; step++) {
            double[] child = m.ask(new SplittableRandom(step)).getFirst().toArray();
            assertTrue(archive.stream().anyMatch(g -> java.util.Arrays.equals(g, child)), "child is a copy");
        }
    }

    @Test
    void withoutSplitPointAChildIsOneSlerpOfTwoMembers() {
        M2n2 whole = filled("{\"population\": 6, \"split_point\": false}", 6);
        M2n2 split = filled("{\"population\": 6}", 6);
        List<double[]> archive = whole.archive();
        int wholeMatches = 0;
        int splitMatches = 0;
        for (int step = 0; step < 20; step++) {
            wholeMatches += isOneSlerp(whole.ask(new SplittableRandom(step)).getFirst().toArray(), archive) ? 1 : 0;
            splitMatches += isOneSlerp(split.ask(new SplittableRandom(step)).getFirst().toArray(), split.archive()) ? 1 : 0;
        }
        assertEquals(20, wholeMatches, "every child lies on one slerp arc between two members");
        assertTrue(splitMatches < 20, "with a split point most children do not: " + splitMatches);
    }

    /** Whether x = slerp(t, a, b) for some members a, b and some t in [0, 1] (t searched on a fine grid, then refined). */
    private static boolean isOneSlerp(double[] x, List<double[]> archive) {
        for (double[] a : archive) {
            for (double[] b : archive) {
                double lo = 0;
                double hi = 1;
                for (int round = 0; round < 4; round++) {
                    double bestT = lo;
                    double bestErr = Double.MAX_VALUE;
                    for (int k = 0; k <= 1000; k++) {
                        double t = lo + (hi - lo) * k / 1000;
                        double[] y = Variation.slerp(a, b, t, x.length);
                        double err = 0;
                        for (int i = 0; i < x.length; i++) {
                            err = Math.max(err, Math.abs(x[i] - y[i]));
                        }
                        if (err < bestErr) {
                            bestErr = err;
                            bestT = t;
                        }
                    }
                    if (bestErr < 1e-9) {
                        return true;
                    }
                    double step = (hi - lo) / 1000;
                    lo = Math.max(0, bestT - step);
                    hi = Math.min(1, bestT + step);
                }
            }
        }
        return false;
    }

    @Test
    void theMatchmakerOnlyPicksPartnersThatCoverWhatParentOneMisses() {
        // member 0 covers datapoints 0 and 1; member 1 covers nothing; member 2 covers datapoint 2 only.
        // Whoever is parent 1, attraction to member 1 is 0; with parent 1 = member 0 only member 2 attracts.
        M2n2 m = m2n2("{\"population\": 3, \"split_point\": false}", 2);
        m.tell(List.of(Genome.of(1, 0), Genome.of(0.5, 0.5), Genome.of(0, 1)), List.of(scored(1, 1, 0), scored(0, 0, 0), scored(0, 0, 1)));
        for (int step = 0; step < 30; step++) {
            double[] child = m.ask(new SplittableRandom(step)).getFirst().toArray();
            // children of (0, 2) lie on the unit quarter circle; any pairing with member 1 would not (|x| != 1)
            assertEquals(1, Math.hypot(child[0], child[1]), 1e-9, "partner drawn by attraction");
        }
    }
}
