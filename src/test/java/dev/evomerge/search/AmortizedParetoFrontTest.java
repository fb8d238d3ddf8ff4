package dev.evomerge.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import dev.evomerge.archive.Hypervolume;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AmortizedParetoFrontTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AmortizedParetoFront map(String json, int dimension, int objectives) throws Exception {
        return (AmortizedParetoFront) Strategies.create("map", JSON.readTree(json), Bounds.uniform(dimension, 0, 1), objectives);
    }

    @Test
    void aQuadraticIsRecoveredExactlyAndAnAccuracyThroughItsLogit() {
        SplittableRandom random = new SplittableRandom(3);
        double[][] x = new double[25][3];
        double[] plain = new double[x.length];
        double[] accuracy = new double[x.length];
        for (int r = 0; r < x.length; r++) {
            for (int i = 0; i < 3; i++) {
                x[r][i] = random.nextDouble();
            }
            double[] c = x[r];
            // 1, c1, c2, c3, c1², c1c2, c1c3, c2², c2c3, c3² with these coefficients
            double q = 0.5 + 2 * c[0] - c[1] + 0.25 * c[2] - 3 * c[0] * c[0] + c[0] * c[1] - 0.5 * c[1] * c[2] + 1.5 * c[2] * c[2];
            plain[r] = 3 + q; // outside [0, 1]: a plain quadratic
            accuracy[r] = 1 / (1 + Math.exp(-q));
        }
        QuadraticSurrogate p = QuadraticSurrogate.fit(x, plain, null);
        assertEquals(false, p.sigmoid());
        assertArrayEquals(new double[] {3.5, 2, -1, 0.25, -3, 1, 0, 0, -0.5, 1.5}, p.coefficients(), 1e-9);
        QuadraticSurrogate a = QuadraticSurrogate.fit(x, accuracy, null);
        assertEquals(true, a.sigmoid(), "values within [0, 1] are read as accuracies");
        assertArrayEquals(new double[] {0.5, 2, -1, 0.25, -3, 1, 0, 0, -0.5, 1.5}, a.coefficients(), 1e-9);
        assertEquals(accuracy[7], a.predict(x[7]), 1e-12);
        String few = assertThrows(EvomergeException.class, () -> QuadraticSurrogate.fit(new double[][] {{0, 0, 0}}, new double[] {1}, null)).getMessage();
        assertEquals("a quadratic surrogate in 3 coefficients needs at least 10 evaluations, got 1", few);
    }

    /** Two tasks whose metrics are exact quadratics of the two scaling coefficients: a known trade-off. */
    private static Outcome twoTasks(Genome g) {
        double c1 = g.get(0);
        double c2 = g.get(1);
        return Outcome.of(2 - 3 * (c1 - 0.9) * (c1 - 0.9) - (c2 - 0.1) * (c2 - 0.1), 2 - (c1 - 0.2) * (c1 - 0.2) - 3 * (c2 - 0.8) * (c2 - 0.8));
    }

    @Test
    void predictsTheFrontFromTheInitialSamplesThenEvaluatesItForReal() throws Exception {
        AmortizedParetoFront m = map("{\"population\": 8}", 2, 2);
        List<Genome> design = m.ask(new SplittableRandom(1));
        assertEquals(12, design.size(), "(N + 1)(N + 2) scaling vectors for N = 2 task vectors");
        m.tell(design, design.stream().map(AmortizedParetoFrontTest::twoTasks).toList());
        List<Genome> predicted = m.ask(new SplittableRandom(2));
        assertEquals(8, predicted.size());
        List<Outcome> real = predicted.stream().map(AmortizedParetoFrontTest::twoTasks).toList();
        m.tell(predicted, real);
        // exact quadratics: the surrogate error is rounding only
        assertEquals("map surrogate error (mean |predicted − real| per metric): stage 0 [0.0000, 0.0000]", m.note());
        // and the predicted points are (nearly) Pareto-optimal and spread: their hypervolume is near a fine grid's front's
        List<double[]> grid = new ArrayList<>();
        for (int i = 0; i <= 200; i++) {
            for (int j = 0; j <= 200; j++) {
                grid.add(twoTasks(Genome.of(i / 200.0, j / 200.0)).objectives());
            }
        }
        double[] reference = {0, 0};
        double truth = Hypervolume.of(grid, reference);
        double found = Hypervolume.of(real.stream().map(Outcome::objectives).toList(), reference);
        assertTrue(found > 0.9 * truth, "8 points spread along the front: " + found + " vs " + truth);
        for (Outcome o : real) {
            double gap = grid.stream().mapToDouble(q -> Math.min(q[0] - o.objective(0), q[1] - o.objective(1))).max().orElseThrow();
            assertTrue(gap < 1e-2, "NSGA-II on the surrogates gets within 0.01 of the true front (values up to 2): " + gap + " at "
                    + predicted.get(real.indexOf(o)));
        }
        // later rounds refit on everything and evaluate new predicted points
        List<Genome> next = m.ask(new SplittableRandom(3));
        assertTrue(next.stream().noneMatch(predicted::contains));
    }

    /** Tasks 0 and 1 want the first two coefficients high; tasks 2 and 3 the last two. */
    private static Outcome fourTasks(Genome g) {
        double[][] targets = {{0.9, 0.8, 0.1, 0.1}, {0.8, 0.9, 0.1, 0.2}, {0.1, 0.1, 0.9, 0.8}, {0.2, 0.1, 0.8, 0.9}};
        double[] o = new double[4];
        for (int t = 0; t < 4; t++) {
            double d = 0;
            for (int i = 0; i < 4; i++) {
                d += (g.get(i) - targets[t][i]) * (g.get(i) - targets[t][i]);
            }
            o[t] = 1 - d / 4;
        }
        return Outcome.of(o);
    }

    @Test
    void nestedMapPairsTheAlikeTasksFirstAndEndsOnOneFront() throws Exception {
        AmortizedParetoFront m = map("{\"nested\": true, \"population\": 5}", 4, 4);
        List<List<Genome>> asked = TestFunctions.drive(m, AmortizedParetoFrontTest::fourTasks, 7, 0, 1);
        assertEquals(10, asked.getFirst().size(), "a linear probe of 2(N + 1) evaluations");
        JsonNode state = m.state();
        assertEquals(2, state.get("jobs").size());
        java.util.Set<String> pairs = new java.util.TreeSet<>(List.of(state.get("jobs").get(0).get("metrics").toString(),
                state.get("jobs").get(1).get("metrics").toString()));
        assertEquals(java.util.Set.of("[[0],[1]]", "[[2],[3]]"), pairs, "the alike tasks paired");
        TestFunctions.drive(m, AmortizedParetoFrontTest::fourTasks, 7, 1, 2); // 2 × 12 samples, then each pair's preferred point
        state = m.state();
        assertEquals(1, state.get("jobs").size(), "the two merged groups form the final pair");
        assertTrue(java.util.Set.of("[[0,1],[2,3]]", "[[2,3],[0,1]]").contains(state.get("jobs").get(0).get("metrics").toString()));
        assertEquals(true, state.get("jobs").get(0).get("last").asBoolean());
        List<List<Genome>> end = TestFunctions.drive(m, AmortizedParetoFrontTest::fourTasks, 7, 3, 2);
        assertEquals(5, end.get(1).size(), "the final front's predicted points, evaluated");
        assertTrue(m.note().matches("map surrogate error \\(mean \\|predicted − real\\| per metric\\): stage 1 \\[.\\]\\+\\[.\\] \\[[0-9., ]+\\] "
                + "\\[.\\]\\+\\[.\\] \\[[0-9., ]+\\]; stage 2 \\[.,.\\]\\+\\[.,.\\] \\[[0-9., ]+\\]"), m.note());
    }

    @Test
    void nestedMapNeedsOneGenePerTask() {
        String message = assertThrows(EvomergeException.class, () -> map("{\"nested\": true}", 5, 4)).getMessage();
        assertTrue(message.startsWith("map with nested: true needs one gene per task and one objective per task"), message);
    }

    @Test
    void restoredStateContinuesExactlyLikeTheOriginal() throws Exception {
        for (String config : List.of("{\"population\": 4}", "{\"nested\": true, \"population\": 3}")) {
            int n = config.contains("nested") ? 4 : 2;
            Function<Genome, Outcome> score = n == 4 ? AmortizedParetoFrontTest::fourTasks : AmortizedParetoFrontTest::twoTasks;
            AmortizedParetoFront original = map(config, n, n);
            TestFunctions.drive(original, score, 5, 0, 3);
            AmortizedParetoFront restored = map(config, n, n);
            restored.restore(JSON.readTree(JSON.writeValueAsString(original.state())));
            assertEquals(TestFunctions.drive(original, score, 5, 3, 3), TestFunctions.drive(restored, score, 5, 3, 3), config);
        }
    }
}
