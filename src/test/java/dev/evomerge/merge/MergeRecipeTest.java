package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergeRecipeTest {
    private static final String TIES = """
            merge_method: ties
            base_model: base
            models:
              - model: a
                parameters:
                  weight: 0.6
                  density: [0.2, 0.8]
              - model: b
                parameters:
                  weight:
                    - filter: self_attn
                      value: 0.9
                    - value: 0.1
                  density: 0.5
            parameters:
              normalize: true
            dtype: bfloat16
            random_seed: 7
            """;

    @Test
    void parsesMergekitYamlAndPrintsItBack() {
        MergeRecipe recipe = MergeRecipe.parse(TIES, "ties.yaml");
        assertEquals("ties", recipe.mergeMethod());
        assertEquals(List.of("base", "a", "b"), recipe.referencedModels());
        assertEquals(7, recipe.randomSeed());
        assertEquals(recipe, MergeRecipe.parse(recipe.toYaml(), "again"));
    }

    @Test
    void gradientsInterpolateOverLayersAndFiltersMatchSubstrings() {
        MergeRecipe recipe = MergeRecipe.parse(TIES, "ties.yaml");
        ParameterSetting density = recipe.models().get(0).parameters().get("density");
        assertEquals(0.2, (Double) density.evaluate("x", 0).orElseThrow(), 1e-12);
        assertEquals(0.5, (Double) density.evaluate("x", 0.5).orElseThrow(), 1e-12);
        assertEquals(0.8, (Double) density.evaluate("x", 1).orElseThrow(), 1e-12);
        ParameterSetting three = new ParameterSetting.Gradient(List.of(0.0, 1.0, 0.0));
        assertEquals(0.5, (Double) three.evaluate("x", 0.25).orElseThrow(), 1e-12);
        ParameterSetting weight = recipe.models().get(1).parameters().get("weight");
        assertEquals(0.9, weight.evaluate("model.layers.3.self_attn.q_proj.weight", 0).orElseThrow());
        assertEquals(0.1, weight.evaluate("model.layers.3.mlp.up_proj.weight", 0).orElseThrow());
        ParameterSetting onlyAttention = ParameterSetting.parse(
                new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(List.of(java.util.Map.of("filter", "attn", "value", 1))), "w");
        assertTrue(onlyAttention.evaluate("mlp.weight", 0).isEmpty());
    }

    private static String error(String yaml) {
        return assertThrows(EvomergeException.class, () -> MergeRecipe.parse(yaml, "r.yaml")).getMessage();
    }

    @Test
    void rejectsUnknownParametersWithASuggestion() {
        String message = error(TIES.replace("density: 0.5", "densty: 0.5"));
        assertTrue(message.startsWith("r.yaml: models[b].parameters: unknown parameter 'densty' for merge_method ties (did you mean 'density'?)"), message);
    }

    @Test
    void rejectsUnknownKeysMethodsAndMissingBase() {
        assertTrue(error(TIES.replace("dtype:", "dtyp:")).contains("unknown key 'dtyp' (did you mean 'dtype'?)"));
        assertTrue(error(TIES.replace("merge_method: ties", "merge_method: tiez")).contains("did you mean 'ties'?"));
        assertTrue(error(TIES.replace("base_model: base\n", "")).contains("needs a base_model"));
        assertTrue(error("merge_method: linear\n").contains("exactly one of 'models' or 'slices'"));
        assertTrue(error("merge_method: [unclosed").contains("not valid YAML"));
        assertTrue(error(TIES.replace("dtype: bfloat16", "dtype: int4")).contains("unknown dtype"));
    }

    @Test
    void rejectsSlicesOfUnequalLength() {
        String message = error("""
                merge_method: slerp
                base_model: a
                slices:
                  - sources:
                      - {model: a, layer_range: [0, 4]}
                      - {model: b, layer_range: [0, 3]}
                parameters: {t: 0.5}
                """);
        assertTrue(message.contains("same number of layers"), message);
    }
}
