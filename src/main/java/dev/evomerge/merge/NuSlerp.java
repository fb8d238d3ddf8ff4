package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * {@code nuslerp}: slerp between exactly two models with t = w₁ / (w₀ + w₁) (0.5 when the weights sum to
 * about zero); with a base model, between their task vectors, added back to the base. Over the flattened
 * tensor ({@code nuslerp_flatten}, the default), else per row ({@code nuslerp_row_wise}) or per column;
 * rows whose vectors are colinear (sin Ω &lt; 1e-8) fall back to linear interpolation.
 */
public record NuSlerp() implements MergeMethod {
    @Override
    public String name() {
        return "nuslerp";
    }

    @Override
    public List<ParameterDef> parameters() {
        return List.of(ParameterDef.optional("nuslerp_row_wise", false), ParameterDef.optional("nuslerp_flatten", true));
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
        List<Integer> others = in.others();
        if (others.size() != 2) {
            throw new dev.evomerge.EvomergeException("nuslerp merges exactly two models (plus an optional base); got "
                    + others.size() + " for " + in.tensorName());
        }
        int a = others.get(0);
        int b = others.get(1);
        double wa = in.number(a, "weight", 0);
        double wb = in.number(b, "weight", 0);
        double t = Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
        boolean flatten = in.flag("nuslerp_flatten");
        boolean rowWise = in.flag("nuslerp_row_wise");
        if (in.baseIndex() >= 0) {
            return in.base().add(nuslerp(t, in.taskVector(a), in.taskVector(b), rowWise, flatten));
        }
        return nuslerp(t, in.tensor(a), in.tensor(b), rowWise, flatten);
    }

    static NDArray nuslerp(double t, NDArray v0, NDArray v1, boolean rowWise, boolean flatten) {
        Shape shape = v0.getShape();
        NDArray x0;
        NDArray x1;
        if (flatten || shape.dimension() < 2) {
            x0 = v0.reshape(1, -1);
            x1 = v1.reshape(1, -1);
        } else if (rowWise) {
            x0 = v0.swapAxes(0, -1);
            x1 = v1.swapAxes(0, -1);
        } else {
            x0 = v0;
            x1 = v1;
        }
        // along the last axis, as mergekit: unit vectors, angle, weights; colinear rows interpolate linearly
        NDArray u0 = x0.div(x0.norm(new int[] {-1}, true).clip(1e-7, Float.MAX_VALUE));
        NDArray u1 = x1.div(x1.norm(new int[] {-1}, true).clip(1e-7, Float.MAX_VALUE));
        NDArray cos = u0.mul(u1).sum(new int[] {-1}, true).clip(-1, 1);
        NDArray theta = cos.acos();
        NDArray sin = theta.sin();
        NDArray colinear = sin.abs().lt(1e-8);
        NDArray spherical = theta.mul(1 - t).sin().mul(x0).add(theta.mul(t).sin().mul(x1)).div(sin);
        NDArray linear = x0.mul(1 - t).add(x1.mul(t));
        NDArray res = ai.djl.ndarray.NDArrays.where(colinear.broadcast(linear.getShape()), linear, spherical);
        if (flatten || shape.dimension() < 2) {
            return res.reshape(shape);
        }
        return rowWise ? res.swapAxes(0, -1) : res;
    }
}
