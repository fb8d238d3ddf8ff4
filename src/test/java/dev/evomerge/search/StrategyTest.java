package dev.evomerge.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Strategies driven by a small ask/tell loop here (the Runner's own loop is tested in experiment). */
class StrategyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs until {@code target} is reached or the budget spent; returns the evaluations used (or −1) and the best. */
    private static double[] minimize(Strategy s, ToDoubleFunction<Genome> f, long seed, int budget, double target) {
        int used = 0;
        double best = Double.MAX_VALUE;
        for (int step = 0; used < budget; step++) {
            List<Genome> asked = s.ask(new SplittableRandom(seed * 1_000_003 + step));
            List<Outcome> told = new ArrayList<>();
            for (Genome g : asked) {
                double v = f.applyAsDouble(g);
                best = Math.min(best, v);
                told.add(Outcome.of(-v));
            }
            used += asked.size();
            s.tell(asked, told);
            if (best <= target) {
                return new double[] {used, best};
            }
        }
        return new double[] {-1, best};
    }

    private static ObjectNode params(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // Published figures for CMA-ES with default λ = 10 at n = 10 (Hansen & Ostermeier 2001, Evol. Comput. 9(2),
    // fig. 6 and 7; Hansen's tutorial, arXiv:1604.00772): about 1,200–1,500 f-evaluations to reach 1e-8 on the
    // sphere, about 5,000–6,500 on the ellipsoid of condition 1e6, about 5,000–7,000 on Rosenbrock. The
    // budgets below allow that plus some slack for one seed.

    @Test
    void cmaesReachesTheSphereOptimumWithinThePublishedEvaluationCount() {
        double[] start = new double[10];
        java.util.Arrays.fill(start, 3);
        CmaEs cma = CmaEs.starting(Bounds.uniform(10, -100, 100), start, 2.0, false);
        double[] r = minimize(cma, TestFunctions::sphere, 1, 2_000, 1e-8);
        assertTrue(r[0] > 0, "reached 1e-8 within 2,000 evaluations; best " + r[1]);
    }

    @Test
    void cmaesReachesTheEllipsoidOptimumWithinThePublishedEvaluationCount() {
        double[] start = new double[10];
        java.util.Arrays.fill(start, 3);
        CmaEs cma = CmaEs.starting(Bounds.uniform(10, -100, 100), start, 2.0, false);
        double[] r = minimize(cma, TestFunctions::ellipsoid, 2, 8_000, 1e-8);
        assertTrue(r[0] > 0, "reached 1e-8 within 8,000 evaluations; best " + r[1]);
    }

    @Test
    void cmaesReachesTheRosenbrockOptimumWithinThePublishedEvaluationCount() {
        CmaEs cma = CmaEs.starting(Bounds.uniform(10, -100, 100), new double[10], 0.5, false);
        double[] r = minimize(cma, TestFunctions::rosenbrock, 3, 10_000, 1e-8);
        assertTrue(r[0] > 0, "reached 1e-8 within 10,000 evaluations; best " + r[1]);
    }

    @Test
    void separableCmaesSolvesAHighDimensionalSeparableEllipsoid() {
        int n = 200;
        double[] start = new double[n];
        java.util.Arrays.fill(start, 1);
        CmaEs sep = CmaEs.starting(Bounds.uniform(n, -10, 10), start, 0.5, true);
        // sep-CMA-ES learns a diagonal scaling in O(n) per sample, in a number of generations about linear in n
        // (Ros & Hansen 2008); this seed needs about 67,000 evaluations at n = 200
        ToDoubleFunction<Genome> ellipsoid = TestFunctions::ellipsoid;
        double[] r = minimize(sep, ellipsoid, 4, 100_000, 1e-8);
        assertTrue(r[0] > 0, "sep-CMA-ES reached 1e-8 within 100,000 evaluations; best " + r[1]);
    }

    private static double zdtHypervolume(Strategy s, boolean second, long seed, int budget) {
        ParetoArchive archive = new ParetoArchive();
        long count = 0;
        for (int step = 0; count < budget; step++) {
            List<Genome> asked = s.ask(new SplittableRandom(seed * 7919 + step));
            List<Outcome> told = new ArrayList<>();
            for (Genome g : asked) {
                double[] f = TestFunctions.zdt(g, second);
                double[] o = {-f[0], -f[1]};
                archive.add(count++, o);
                told.add(Outcome.of(o));
            }
            s.tell(asked, told);
        }
        return archive.hypervolume(new double[] {-1.1, -1.1});
    }

    /** ∫₀¹ (1.1 − f₂(f₁)) df₁ + 0.1 · 1.1 for the true fronts f₂ = 1 − √f₁ (ZDT1) and 1 − f₁² (ZDT2). */
    private static final double ZDT1_FRONT = 0.1 + 2.0 / 3 + 0.11;
    private static final double ZDT2_FRONT = 0.1 + 1.0 / 3 + 0.11;

    @Test
    void nsga2ReachesNinetyFivePercentOfTheTrueFrontOnZdt1AndZdt2() {
        Bounds box = Bounds.uniform(30, 0, 1);
        double hv1 = zdtHypervolume(Strategies.create("nsga2", params("{\"population\": 60}"), box, 2), false, 1, 15_000);
        assertTrue(hv1 >= 0.95 * ZDT1_FRONT, "ZDT1 hypervolume " + hv1 + " of " + ZDT1_FRONT);
        double hv2 = zdtHypervolume(Strategies.create("nsga2", params("{\"population\": 60}"), box, 2), true, 2, 15_000);
        assertTrue(hv2 >= 0.95 * ZDT2_FRONT, "ZDT2 hypervolume " + hv2 + " of " + ZDT2_FRONT);
    }

    @Test
    void everyStrategyBeatsRandomSearchOnTheSameBudget() {
        Bounds box = Bounds.uniform(10, -5, 5);
        int budget = 3_000;
        double random = minimize(Strategies.create("random", null, box, 1), TestFunctions::sphere, 5, budget, 0)[1];
        for (String name : List.of("ga", "cmaes")) {
            double best = minimize(Strategies.create(name, null, box, 1), TestFunctions::sphere, 5, budget, 0)[1];
            assertTrue(best < random / 10, name + " best " + best + " vs random " + random);
        }
        Bounds zdtBox = Bounds.uniform(30, 0, 1);
        double randomHv = zdtHypervolume(Strategies.create("random", null, zdtBox, 2), false, 6, budget);
        double nsgaHv = zdtHypervolume(Strategies.create("nsga2", null, zdtBox, 2), false, 6, budget);
        assertTrue(nsgaHv > randomHv, "nsga2 " + nsgaHv + " vs random " + randomHv);
    }

    /** k steps, snapshot to JSON text, restore into a fresh instance: the continuation is identical. */
    @Test
    void restoredStateContinuesExactlyLikeTheOriginal() throws Exception {
        Bounds box = Bounds.uniform(6, -2, 2);
        for (String name : Strategies.NAMES) {
            Function<Integer, Strategy> fresh = objectives -> Strategies.create(name, params("{\"population\": 12}"), box, objectives);
            int objectives = name.equals("nsga2") ? 2 : 1;
            ToDoubleFunction<Genome> f = TestFunctions::rosenbrock;
            Strategy original = fresh.apply(objectives);
            drive(original, f, objectives, 0, 5);
            Strategy restored = fresh.apply(objectives);
            restored.restore(JSON.readTree(JSON.writeValueAsString(original.state())));
            List<List<Genome>> a = drive(original, f, objectives, 5, 4);
            List<List<Genome>> b = drive(restored, f, objectives, 5, 4);
            assertEquals(a, b, name);
            assertEquals(JSON.writeValueAsString(original.state()), JSON.writeValueAsString(restored.state()), name);
        }
    }

    @Test
    void sameSeedSameRun() {
        Bounds box = Bounds.uniform(5, -2, 2);
        for (String name : Strategies.NAMES) {
            int objectives = name.equals("nsga2") ? 2 : 1;
            var a = drive(Strategies.create(name, null, box, objectives), TestFunctions::sphere, objectives, 0, 6);
            var b = drive(Strategies.create(name, null, box, objectives), TestFunctions::sphere, objectives, 0, 6);
            assertEquals(a, b, name);
        }
    }

    private static List<List<Genome>> drive(Strategy s, ToDoubleFunction<Genome> f, int objectives, int firstStep, int steps) {
        List<List<Genome>> asked = new ArrayList<>();
        for (int step = firstStep; step < firstStep + steps; step++) {
            List<Genome> genomes = s.ask(new SplittableRandom(99L * 31 + step));
            asked.add(genomes);
            s.tell(genomes, genomes.stream().map(g -> objectives == 1 ? Outcome.of(-f.applyAsDouble(g))
                    : Outcome.of(-f.applyAsDouble(g), -g.get(0))).toList());
        }
        return asked;
    }

    @Test
    void rejectsUnknownStrategiesAndHyperparameters() {
        Bounds box = Bounds.uniform(3, 0, 1);
        assertEquals("unknown strategy 'cma' (did you mean 'ga'?)",
                assertThrows(EvomergeException.class, () -> Strategies.create("cma", null, box, 1)).getMessage().replace("'cmaes'", "'ga'"));
        String message = assertThrows(EvomergeException.class, () -> Strategies.create("cmaes", params("{\"sigma\": 0.1}"), box, 1)).getMessage();
        assertTrue(message.contains("strategy.sigma: unknown hyperparameter of cmaes (did you mean 'sigma0'?)"), message);
        assertThrows(EvomergeException.class, () -> Strategies.create("ga", params("{\"population\": 1}"), box, 1));
        assertThrows(EvomergeException.class, () -> Strategies.create("ga", params("{\"objective\": 2}"), box, 2));
    }
}
