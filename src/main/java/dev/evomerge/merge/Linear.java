package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * {@code linear}: θ = Σᵢ wᵢ θᵢ, divided by Σᵢ wᵢ when {@code normalize} (the default). Inputs without a
 * weight (a base mergekit adds because the recipe names it but does not list it) do not take part.
 * Weights that sum to zero divide by 1, as the task-vector methods do; mergekit divides by the zero and
 * writes infinities and NaNs (a departure on purpose, listed in the README).
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
        for (int i = 0; i < in.size(); i++) {
            if (!in.has(i, "weight")) {
                continue;
            }
            NDArray term = in.tensor(i).mul(in.number(i, "weight", 0));
            sum = sum == null ? term : sum.addi(term);
        }
        if (sum == null) {
            throw new IllegalStateException("linear: no weighted input for " + in.tensorName());
        }
        return in.flag("normalize") ? sum.divi(MergeInput.divisor(weightSum(in))) : sum;
    }

    @Override
    public boolean dividesByOne(MergeInput in) {
        return in.flag("normalize") && MergeInput.isZeroSum(weightSum(in));
    }

    /** Σ wᵢ over the inputs that have a weight. */
    private static double weightSum(MergeInput in) {
        double total = 0;
        for (int i = 0; i < in.size(); i++) {
            if (in.has(i, "weight")) {
                total += in.number(i, "weight", 0);
            }
        }
        return total;
    }
}
