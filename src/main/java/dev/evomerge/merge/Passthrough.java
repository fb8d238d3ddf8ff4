package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * {@code passthrough}: one input, copied (times {@code scale} when given). With {@code slices} it stacks
 * layer ranges of several models: frankenmerges, and the layer programs of data-flow search.
 */
public record Passthrough() implements MergeMethod {
    @Override
    public String name() {
        return "passthrough";
    }

    @Override
    public List<ParameterDef> parameters() {
        return List.of();
    }

    @Override
    public List<ParameterDef> tensorParameters() {
        return List.of(ParameterDef.optional("scale", null));
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public NDArray merge(MergeInput in) {
        if (in.size() != 1) {
            throw new dev.evomerge.EvomergeException("passthrough takes exactly one model per slice; got " + in.size()
                    + " for " + in.tensorName());
        }
        return in.tensor(0).mul(in.number(0, "scale", 1.0));
    }
}
