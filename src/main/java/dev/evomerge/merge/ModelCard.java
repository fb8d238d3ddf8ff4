package dev.evomerge.merge;

import java.util.List;

/** The README.md written beside merged weights: what was merged, how, and the recipe to do it again. */
final class ModelCard {
    private ModelCard() {
    }

    static String of(MergeRecipe recipe, MergePlan plan) {
        StringBuilder card = new StringBuilder();
        card.append("---\nlibrary_name: transformers\ntags:\n- merge\n- evomerge\n---\n\n");
        card.append("# Merged model\n\n");
        card.append("This model was merged with evomerge using the **")
                .append(recipe.mergeMethod()).append("** method");
        if (recipe.baseModel() != null) {
            card.append(", with `").append(recipe.baseModel()).append("` as the base");
        }
        card.append(".\n\n## Sources\n\n");
        List<String> models = recipe.referencedModels();
        for (String m : models) {
            card.append("- `").append(m).append("`").append(m.equals(recipe.baseModel()) ? " (base)" : "").append('\n');
        }
        card.append("\n").append(plan.tasks().size()).append(" tensors, ").append(plan.layerCount()).append(" layers.\n");
        card.append("\n## Recipe\n\nMerge it again, bit for bit, with `./run.sh merge recipe.yaml --out DIR`:\n\n```yaml\n")
                .append(recipe.toYaml()).append("```\n");
        return card.toString();
    }
}
