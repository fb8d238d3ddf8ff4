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
        // halves' means (1.0, 0.25) and (1.0, 0.375) → cell (3, 1) = 13; (0.0, 0.0) → 0
        Outcome a = new Outcome(new double[] {0.5}, new double[] {1, 1, 0.5, 0});
        Outcome b = new Outcome(new double[] {0.9}, new double[] {1, 1, 0.25, 0.5});
        Outcome c = new Outcome(new double[] {0.1}, new double[] {0, 0, 0, 0});
        assertEquals(13, m.cell(Genome.of(0, 0, 0), a));
        assertEquals(13, m.cell(Genome.of(0, 0, 0), b));
        m.tell(List.of(Genome.of(0.1, 0.1, 0.1), Genome.of(0.2, 0.2, 0.2), Genome.of(0.3, 0.3, 0.3)), List.of(a, b, c));
        assertEquals(Map.of(0, 0.0, 13, 0.6875), m.grid(), "one elite per cell, the better one (mean datapoint score) in a shared cell");
        m.tell(List.of(Genome.of(0.4, 0.4, 0.4)), List.of(new Outcome(new double[] {0.2}, new double[] {1, 1, 0.5, 0})));
        assertEquals(0.6875, m.grid().get(13), "a worse genome does not displace an elite");
    }

    @Test
    void descriptorsCanBeObjectivesAndQualityIsTheMeanDatapointScore() throws Exception {
        MapElites m = grid("{\"bins\": 10, \"descriptor_x\": 1, \"descriptor_y\": 2}");
        // the paper's digits: objectives (accuracy, odd-digit accuracy, even-digit accuracy)
        Outcome o = new Outcome(new double[] {0.5, 0.37, 0.92}, new double[] {1, 0, 1, 0});
        assertEquals(3 * 10 + 9, m.cell(Genome.of(0, 0, 0), o));
        assertEquals(0.5, MapElites.quality(o));
        assertEquals(0.8, MapElites.quality(Outcome.of(0.8)), "objective 0 without datapoints");
    }

    @Test
    void parentsAreDrawnInProportionToQualityAndChildrenStayInBounds() throws Exception {
        // without crossover or mutation a child is a copy of its first parent: never the elite of quality 0
        MapElites copies = grid("{\"starts\": 2, \"population\": 1, \"crossover\": false, \"mutation_std\": 0}");
        copies.tell(List.of(Genome.of(0.1, 0.1, 0.1), Genome.of(0.9, 0.9, 0.9)),
                List.of(new Outcome(new double[] {0}, new double[] {0, 0}), new Outcome(new double[] {1}, new double[] {1, 1})));
        for (int step = 0; step < 30; step++) {
            assertEquals(Genome.of(0.9, 0.9, 0.9), copies.ask(new SplittableRandom(step)).getFirst());
        }
        MapElites m = grid("{\"starts\": 4, \"population\": 4, \"mutation_std\": 0.05}");
        List<Genome> first = m.ask(new SplittableRandom(1));
        m.tell(first, first.stream().map(g -> new Outcome(new double[] {g.get(0)}, new double[] {g.get(0), g.get(1)})).toList());
        for (Genome g : m.ask(new SplittableRandom(2))) {
            assertTrue(Bounds.uniform(3, 0, 1).contains(g));
            assertTrue(first.stream().noneMatch(g::equals), "a child, not a start: " + g);
        }
    }

    @Test
    void theFirstAsksAreTheGivenStarts() throws Exception {
        MapElites m = grid("{\"population\": 3}");
        m.startFrom(List.of(Genome.of(0.2, 0.2, 0.2), Genome.of(0.7, 0.7, 0.7)));
        List<Genome> asked = m.ask(new SplittableRandom(1));
        assertEquals(List.of(Genome.of(0.2, 0.2, 0.2), Genome.of(0.7, 0.7, 0.7)), asked.subList(0, 2));
    }

    /** Datapoint j scores when gene j / 2 exceeds 0.5 (4 datapoints over 3 genes: the halves differ). */
    private static List<List<Genome>> drive(MapElites m, int firstStep, int steps) {
        return TestFunctions.drive(m, g -> new Outcome(new double[] {g.get(0) + g.get(1) - g.get(2)},
                new double[] {g.get(0) > 0.5 ? 1 : 0, g.get(0) > 0.3 ? 1 : 0, g.get(1) > 0.5 ? 1 : 0, g.get(2) > 0.7 ? 1 : 0}), 11, firstStep, steps);
    }

    @Test
    void restoredGridContinuesExactlyLikeTheOriginal() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String config = "{\"bins\": 3, \"starts\": 6, \"population\": 3}";
        MapElites original = grid(config);
        drive(original, 0, 5); // 15 told: past the random start, elites being mutated
        MapElites restored = grid(config);
        restored.restore(json.readTree(json.writeValueAsString(original.state())));
        assertEquals(drive(original, 5, 5), drive(restored, 5, 5));
        assertEquals(original.grid(), restored.grid());
        assertTrue(original.grid().size() > 1, "several cells occupied: " + original.grid());
    }
}
