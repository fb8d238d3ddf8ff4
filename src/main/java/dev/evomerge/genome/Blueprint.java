package dev.evomerge.genome;

import dev.evomerge.merge.LayerProgram;
import dev.evomerge.merge.MergeRecipe;

/**
 * What a decoded genome says to build: a merge recipe (parameter space), a layer program (data-flow
 * space), or both (the recipe's merged model is then model 0 of the program, the sources follow).
 *
 * @param recipe  the merge, or null for routing alone
 * @param program the routing, or null for a plain merge
 */
public record Blueprint(MergeRecipe recipe, LayerProgram program) {
    public Blueprint {
        if (recipe == null && program == null) {
            throw new IllegalArgumentException("a blueprint needs a recipe, a program or both");
        }
    }

    /** YAML a user can read back: the recipe as mergekit writes it, then the program's steps. */
    public String toYaml() {
        StringBuilder yaml = new StringBuilder();
        if (recipe != null) {
            yaml.append(recipe.toYaml());
        }
        if (program != null) {
            yaml.append("layer_program:\n");
            for (LayerProgram.Step s : program.steps()) {
                yaml.append("  - {model: ").append(s.model()).append(", layer: ").append(s.layer())
                        .append(", scale: ").append(s.scale()).append("}\n");
            }
        }
        return yaml.toString();
    }
}
