package dev.evomerge.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.genome.Bounds;
import dev.evomerge.genome.Genome;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MapElitesTest {
    private static MapElites grid(String json) throws Exception {
        return (MapElites) Strategies.create("map_elites", new ObjectMapper().readTree(json), Bounds.uniform(3, 0, 1), 1);
    }

    @Test
    void placesGenomesByTheirTwoHalvesAndKeepsTheBestPerCell() throws Exception {
        MapElites m = grid("{\"bins\": 4}");
        // halves' means (1.0, 0.25) → cells (3, 1) = 13; (0.0, 0.0) → 0
        Outcome a = new Outcome(new double[] {0.5}, new double[] {1, 1, 0.5, 0});
        Outcome b = new Outcome(new double[] {0.9}, new double[] {1, 1, 0.25, 0.25});
        Outcome c = new Outcome(new double[] {0.1}, new double[] {0, 0, 0, 0});
        assertEquals(13, m.cell(Genome.of(0, 0, 0), a));
        assertEquals(13, m.cell(Genome.of(0, 0, 0), b));
        m.tell(List.of(Genome.of(0.1, 0.1, 0.1), Genome.of(0.2, 0.2, 0.2), Genome.of(0.3, 0.3, 0.3)), List.of(a, b, c));
        assertEquals(Map.of(0, 0.1, 13, 0.9), m.grid(), "one elite per cell, the better one in a shared cell");
        m.tell(List.of(Genome.of(0.4, 0.4, 0.4)), List.of(new Outcome(new double[] {0.2}, new double[] {1, 1, 0.5, 0})));
        assertEquals(0.9, m.grid().get(13), "a worse genome does not displace an elite");
    }

    @Test
    void afterTheRandomStartItMutatesElitesWithinTheBounds() throws Exception {
        MapElites m = grid("{\"initial\": 4, \"population\": 4, \"sigma\": 0.05}");
        List<Genome> first = m.ask(new SplittableRandom(1));
        m.tell(first, first.stream().map(g -> Outcome.of(g.get(0))).toList());
        List<Genome> next = m.ask(new SplittableRandom(2));
        for (Genome g : next) {
            assertTrue(Bounds.uniform(3, 0, 1).contains(g));
            // a child is near one of the elites: a small Gaussian step from it
            assertTrue(first.stream().anyMatch(e -> Math.abs(e.get(0) - g.get(0)) < 0.3), g.toString());
        }
    }

    /** Datapoint j scores when gene j / 2 exceeds 0.5 (4 datapoints over 3 genes: the halves differ). */
    private static List<List<Genome>> drive(MapElites m, int firstStep, int steps) {
        return TestFunctions.drive(m, g -> new Outcome(new double[] {g.get(0) + g.get(1) - g.get(2)},
                new double[] {g.get(0) > 0.5 ? 1 : 0, g.get(0) > 0.3 ? 1 : 0, g.get(1) > 0.5 ? 1 : 0, g.get(2) > 0.7 ? 1 : 0}), 11, firstStep, steps);
    }

    @Test
    void restoredGridContinuesExactlyLikeTheOriginal() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String config = "{\"bins\": 3, \"initial\": 6, \"population\": 3}";
        MapElites original = grid(config);
        drive(original, 0, 5); // 15 told: past the random start, elites being mutated
        MapElites restored = grid(config);
        restored.restore(json.readTree(json.writeValueAsString(original.state())));
        assertEquals(drive(original, 5, 5), drive(restored, 5, 5));
        assertEquals(original.grid(), restored.grid());
        assertTrue(original.grid().size() > 1, "several cells occupied: " + original.grid());
    }
}
