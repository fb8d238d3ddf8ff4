package dev.evomerge.genome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.merge.ParameterSetting;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ParameterSpaceTest {
    private static final List<String> PREFIXES = IntStream.range(0, 6).mapToObj(l -> "model.layers." + l + ".").toList();

    private final ParameterSpace space = new ParameterSpace("ties", "base", List.of("a", "b"), PREFIXES, 3,
            List.of(new ParameterSpace.Range("weight", 0, 1), new ParameterSpace.Range("density", 0.1, 1)),
            Map.of("normalize", new ParameterSetting.Scalar(true)), 5, null);

    @Test
    void dimensionCountsModelsGroupsAndParameters() {
        assertEquals(2 * 2 * 3, space.dimension());
        assertEquals(0.1, space.bounds().lower(6));
        assertEquals(List.of(0, 0, 1, 1, 2, 2), IntStream.range(0, 6).map(space::groupOf).boxed().toList());
    }

    @Test
    void decodesToARecipeWhoseValuesFollowTheLayerGroups() {
        // weight: a = (0.1, 0.2, 0.3), b = (0.4, 0.5, 0.6); density: a = (0.7, 0.8, 0.9), b = (1, 1, 1)
        Genome g = Genome.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1, 1);
        MergeRecipe recipe = space.recipe(g);
        assertEquals("ties", recipe.mergeMethod());
        assertEquals(5, recipe.randomSeed());
        ParameterSetting weightOfB = recipe.models().get(1).parameters().get("weight");
        assertEquals(0.4, weightOfB.evaluate("model.layers.1.mlp.up_proj.weight", 0).orElseThrow());
        assertEquals(0.5, weightOfB.evaluate("model.layers.3.self_attn.q_proj.weight", 0).orElseThrow());
        assertEquals(0.6, weightOfB.evaluate("model.layers.5.input_layernorm.weight", 0).orElseThrow());
        assertEquals(0.4, weightOfB.evaluate("model.embed_tokens.weight", 0).orElseThrow(), "outside the layers: the first group");
        ParameterSetting densityOfA = recipe.models().get(0).parameters().get("density");
        assertEquals(0.8, densityOfA.evaluate("model.layers.2.mlp.down_proj.weight", 0).orElseThrow());
        assertEquals(true, recipe.parameters().get("normalize").evaluate("x", 0).orElseThrow());
        // the recipe prints as YAML that merge reads back to the same recipe
        assertEquals(recipe, MergeRecipe.parse(recipe.toYaml(), "decoded"));
        assertEquals(recipe, space.recipe(g), "pure");
    }

    @Test
    void mergeWideParametersTakeOneValuePerGroup() {
        ParameterSpace slerp = new ParameterSpace("slerp", "base", List.of("a"), PREFIXES, 2,
                List.of(new ParameterSpace.Range("t", 0, 1)), Map.of(), 0, null);
        assertEquals(2, slerp.dimension());
        MergeRecipe r = slerp.recipe(Genome.of(0.25, 0.75));
        assertEquals(0.75, r.parameters().get("t").evaluate("model.layers.4.mlp.up_proj.weight", 0).orElseThrow());
        assertTrue(r.models().getFirst().parameters().isEmpty());
    }

    @Test
    void rejectsParametersTheMethodDoesNotHave() {
        EvomergeException e = assertThrows(EvomergeException.class, () -> new ParameterSpace("ties", "base", List.of("a"), PREFIXES, 1,
                List.of(new ParameterSpace.Range("densty", 0, 1)), Map.of(), 0, null));
        assertTrue(e.getMessage().contains("did you mean 'density'?"), e.getMessage());
    }

    @Test
    void hybridGenomesSplitIntoAMergeAndARoutingThroughIt() {
        RoutingSpace routing = new RoutingSpace(3, 6, 1, 0.5, 2.0); // model 0 = the merge, then a and b
        HybridSpace hybrid = new HybridSpace(space, routing);
        assertEquals(space.dimension() + routing.dimension(), hybrid.dimension());
        double[] values = new double[hybrid.dimension()];
        System.arraycopy(new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1, 1}, 0, values, 0, space.dimension());
        double[] identity = routing.identity().toArray();
        System.arraycopy(identity, 0, values, space.dimension(), identity.length);
        Blueprint b = hybrid.decode(Genome.of(values));
        assertEquals(space.recipe(Genome.of(java.util.Arrays.copyOf(values, space.dimension()))), b.recipe());
        assertEquals(dev.evomerge.merge.LayerProgram.identity(0, 6), b.program());
        assertTrue(b.toYaml().contains("merge_method: ties") && b.toYaml().contains("layer_program:"));
        assertTrue(hybrid.bounds().contains(Genome.of(values)));
    }
}
