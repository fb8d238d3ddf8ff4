package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code model_stock} (Jang et al., 2024): with N ≥ 2 fine-tunes, offsets δᵢ = θᵢ − θ₀ from the base, and
 * cos θ the mean pairwise cosine between offsets, the interpolation ratio t = N·cos θ / (1 + (N−1)·cos θ)
 * moves the base toward the fine-tunes' average: θ = t·avg(θᵢ) + (1 − t)·θ₀. Over the whole flattened
 * tensor, or per row with {@code filter_wise}.
 */
public record ModelStock() implements MergeMethod {
    @Override
    public String name() {
        return "model_stock";
    }

    @Override
    public List<ParameterDef> parameters() {
        return List.of(ParameterDef.optional("filter_wise", false));
    }

    @Override
    public List<ParameterDef> tensorParameters() {
        return List.of();
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public NDArray merge(MergeInput in) {
        List<Integer> others = in.others();
        if (others.size() < 2) {
            throw new dev.evomerge.EvomergeException("model_stock needs the base and at least two other models; got "
                    + others.size() + " besides the base for " + in.tensorName());
        }
        NDArray base = in.base();
        var shape = base.getShape();
        boolean rows = in.flag("filter_wise");
        NDArray w0 = rows ? (shape.dimension() == 1 ? base.reshape(1, -1) : base) : base.reshape(-1);
        List<NDArray> offsets = new ArrayList<>();
        for (int i : others) {
            NDArray d = in.taskVector(i);
            offsets.add(rows ? d.reshape(w0.getShape()) : d.reshape(-1));
        }
        NDArray cosSum = null;
        int pairs = 0;
        for (int i = 0; i < offsets.size(); i++) {
            for (int j = i + 1; j < offsets.size(); j++) {
                NDArray a = offsets.get(i);
                NDArray b = offsets.get(j);
                NDArray normProduct = a.norm(new int[] {-1}).mul(b.norm(new int[] {-1})).clip(1e-6, Float.MAX_VALUE);
                NDArray cos = a.mul(b).sum(new int[] {-1}).div(normProduct).clip(-1, 1);
                cosSum = cosSum == null ? cos : cosSum.add(cos);
                pairs++;
            }
        }
        NDArray cos = cosSum.div(pairs).expandDims(-1);
        int n = offsets.size();
        NDArray t = cos.mul(n).div(cos.mul(n - 1).add(1));
        NDArray avgOffset = offsets.getFirst();
        for (int i = 1; i < n; i++) {
            avgOffset = avgOffset.add(offsets.get(i));
        }
        avgOffset = avgOffset.div(n);
        // t·avg(θᵢ) + (1−t)·θ₀ = θ₀ + t·avg(δᵢ)
        return w0.add(t.mul(avgOffset)).reshape(shape);
    }
}
