package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * {@code slerp}: spherical interpolation from the base (t = 0) to the other model (t = 1) over the whole
 * flattened tensor: θ = sin((1−t)Ω)/sin Ω · θ₀ + sin(tΩ)/sin Ω · θ₁ with cos Ω the cosine of the angle
 * between them; linear interpolation when they are nearly colinear (|cos Ω| > 0.9995), as mergekit.
 */
public record Slerp() implements MergeMethod {
    static final double DOT_THRESHOLD = 0.9995;
    static final double EPS = 1e-8;

    @Override
    public String name() {
        return "slerp";
    }

    @Override
    public List<ParameterDef> parameters() {
        return List.of(ParameterDef.required("t"));
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
        if (others.size() != 1) {
            throw new dev.evomerge.EvomergeException("slerp merges exactly two models (the base and one other); got "
                    + in.size() + " for " + in.tensorName());
        }
        return slerp(in.number("t"), in.base(), in.tensor(others.getFirst()));
    }

    /** Spherical interpolation of two tensors seen as flat vectors; shared with M2N2-style crossovers. */
    static NDArray slerp(double t, NDArray v0, NDArray v1) {
        double n0 = v0.norm().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        double n1 = v1.norm().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        double dot = v0.mul(v1).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        // mergekit divides by a norm only when it is above eps
        double cos = dot / (n0 > EPS ? n0 : 1) / (n1 > EPS ? n1 : 1);
        if (Math.abs(cos) > DOT_THRESHOLD) {
            return v0.mul(1 - t).addi(v1.mul(t));
        }
        double theta0 = Math.acos(cos);
        double sin0 = Math.sin(theta0);
        double s0 = Math.sin(theta0 - theta0 * t) / sin0;
        double s1 = Math.sin(theta0 * t) / sin0;
        return v0.mul(s0).addi(v1.mul(s1));
    }
}
