package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * {@code linear}: θ = Σᵢ wᵢ θᵢ, divided by Σᵢ wᵢ when {@code normalize} (the default). Inputs without a
 * weight (a base mergekit adds because the recipe names it but does not list it) do not take part.
 */
public record Linear() implements MergeMethod {
    @Override
    public String name() {
        return "linear";
    }

    @Override
    public List<ParameterDef> parameters() {
        return List.of(ParameterDef.optional("normalize", true));
    }

    @Override
    public List<ParameterDef> tensorParameters() {
        return List.of(ParameterDef.required("weight"));
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public NDArray merge(MergeInput in) {
        NDArray sum = null;
        double total = 0;
        for (int i = 0; i < in.size(); i++) {
            if (!in.has(i, "weight")) {
                continue;
            }
            double w = in.number(i, "weight", 0);
            NDArray term = in.tensor(i).mul(w);
            sum = sum == null ? term : sum.addi(term);
            total += w;
        }
        if (sum == null) {
            throw new IllegalStateException("linear: no weighted input for " + in.tensorName());
        }
        return in.flag("normalize") ? sum.divi(total) : sum;
    }
}
