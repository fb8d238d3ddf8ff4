package dev.evomerge.genome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.merge.LayerProgram;
import dev.evomerge.merge.LayerProgram.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingSpaceTest {
    private final RoutingSpace space = new RoutingSpace(2, 4, 2, 0.5, 2.0);

    @Test
    void countsSlotsAndScales() {
        assertEquals(8, space.totalLayers());
        assertEquals(16, space.slots());
        assertEquals(16 + 64, space.dimension());
        Bounds bounds = space.bounds();
        assertEquals(1.0, bounds.upper(15));
        assertEquals(0.5, bounds.lower(16));
        assertEquals(2.0, bounds.upper(16 + 63));
    }

    @Test
    void identityGenomeDecodesToModelZeroUnchanged() {
        assertEquals(LayerProgram.identity(0, 4), space.program(space.identity()));
        assertTrue(space.bounds().contains(space.identity()));
    }

    @Test
    void decodesChosenSlotsInOrderWithTheScaleOfEachTransition() {
        double[] g = space.identity().toArray();
        java.util.Arrays.fill(g, 0, space.slots(), 0.0);
        g[5] = 0.9;              // slot 5: model 1, layer 1
        g[8 + 2] = 0.7;          // second repetition, slot 2: model 0, layer 2
        g[8 + 6] = 0.2;          // below threshold: not used
        g[16 + 0 * 8 + 5] = 1.5; // 0 → 5
        g[16 + 5 * 8 + 2] = 0.8; // 5 → 2
        g[16 + 2 * 8 + 3] = 1.25; // 2 → last layer of model 0
        LayerProgram program = space.program(Genome.of(g));
        assertEquals(List.of(new Step(0, 0, 1.0), new Step(1, 1, 1.5), new Step(0, 2, 0.8), new Step(0, 3, 1.25)),
                program.steps());
    }

    @Test
    void firstAndLastLayersOfModelZeroStayAtTheEnds() {
        double[] g = space.identity().toArray();
        java.util.Arrays.fill(g, 0, space.slots(), 1.0); // every slot, both repetitions
        LayerProgram program = space.program(Genome.of(g));
        assertEquals(new Step(0, 0, 1.0), program.steps().getFirst());
        assertEquals(0, program.steps().getLast().model());
        assertEquals(3, program.steps().getLast().layer());
        // 8 layers minus the 2 fixed ones, twice, plus the 2 ends
        assertEquals(2 * 6 + 2, program.length());
    }

    @Test
    void decodingIsPure() {
        Genome g = Genome.of(new java.util.Random(7).doubles(space.dimension(), 0.5, 1.0).toArray());
        assertEquals(space.program(g), space.program(g));
    }

    @Test
    void rejectsScalesThatExcludeOne() {
        assertThrows(IllegalArgumentException.class, () -> new RoutingSpace(2, 4, 1, 1.1, 2.0));
        assertThrows(IllegalArgumentException.class, () -> space.program(Genome.of(1, 2, 3)));
    }
}
