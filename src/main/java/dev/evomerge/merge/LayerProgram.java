package dev.evomerge.merge;

import java.util.List;

/**
 * A routing of a hidden state through layers of several source models (data-flow space merging, as in
 * "Evolutionary Optimization of Model Merging Recipes"): the embeddings of model 0, then each step's
 * layer applied to the hidden state multiplied by the step's scale, then model 0's final norm and head.
 *
 * @param steps the layers in the order the hidden state passes through them; at least one
 * @implNote immutable.
 */
public record LayerProgram(List<Step> steps) {
    /**
     * One layer application.
     *
     * @param model index of the source model (in the order the experiment lists them)
     * @param layer layer index within that model
     * @param scale factor applied to the hidden state before this layer (1 = unchanged)
     */
    public record Step(int model, int layer, double scale) {
        public Step {
            if (model < 0 || layer < 0) {
                throw new IllegalArgumentException("negative model or layer: " + model + ", " + layer);
            }
            if (!Double.isFinite(scale)) {
                throw new IllegalArgumentException("scale is not finite: " + scale);
            }
        }
    }

    public LayerProgram {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a layer program needs at least one step");
        }
        steps = List.copyOf(steps);
    }

    /** The plain stack of {@code layers} layers of one model, unscaled. */
    public static LayerProgram identity(int model, int layers) {
        return new LayerProgram(java.util.stream.IntStream.range(0, layers)
                .mapToObj(l -> new Step(model, l, 1.0)).toList());
    }

    public int length() {
        return steps.size();
    }
}
