package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The task-vector family (mergekit's generalized task arithmetic): with τᵢ = θᵢ − θ_base,
 * <pre>
 *   τᵢ' = sparsify(τᵢ, densityᵢ)                 (TIES: magnitude, DARE: random, breadcrumbs, DELLA)
 *   mᵢ  = [sign(wᵢτᵢ') = sign(Σⱼ wⱼτⱼ')]           (sign consensus, for the *_ties methods and della)
 *   Δ   = Σᵢ mᵢ wᵢ τᵢ'  / Σᵢ mᵢ wᵢ                  (the division only with normalize)
 *   θ   = θ_base + λ · LiNeS(depth) · Δ
 * </pre>
 * Where the divisor is zero, {@code normalize} divides by 1 instead, as mergekit does: without consensus
 * (mᵢ = 1) when |Σᵢ wᵢ| &lt; 1e-8, for the whole tensor; with consensus per element, where the agreeing
 * weights sum to exactly 0 in f32 (nothing agreed, or the agreeing weights cancel).
 * LiNeS (Wang et al., 2024) scales the merged task vector with depth: λ(l) = α + β·l/(L−1) for
 * {@code lines_alpha} = α and {@code lines_beta} = β (embeddings at depth 0, final norm and head at 1); off
 * unless {@code lines_alpha} is given. Random drops are rescaled to the task vector's L1 norm
 * ({@code rescale}), as mergekit does.
 *
 * @param consensus     whether signs are elected
 * @param sparsification how task vectors are thinned, or null
 */
public record TaskArithmetic(String name, boolean consensus, Sparsification sparsification,
                             boolean defaultNormalize, boolean defaultRescale) implements MergeMethod {
    public static final TaskArithmetic TASK_ARITHMETIC = new TaskArithmetic("task_arithmetic", false, null, false, false);
    public static final TaskArithmetic TIES = new TaskArithmetic("ties", true, Sparsification.MAGNITUDE, true, false);
    public static final TaskArithmetic DARE_TIES = new TaskArithmetic("dare_ties", true, Sparsification.RANDOM, false, true);
    public static final TaskArithmetic DARE_LINEAR = new TaskArithmetic("dare_linear", false, Sparsification.RANDOM, false, true);
    public static final TaskArithmetic BREADCRUMBS = new TaskArithmetic("breadcrumbs", false, Sparsification.MAGNITUDE_OUTLIERS, false, false);
    public static final TaskArithmetic BREADCRUMBS_TIES = new TaskArithmetic("breadcrumbs_ties", true, Sparsification.MAGNITUDE_OUTLIERS, false, false);
    public static final TaskArithmetic DELLA = new TaskArithmetic("della", true, Sparsification.DELLA_MAGPRUNE, true, true);
    public static final TaskArithmetic DELLA_LINEAR = new TaskArithmetic("della_linear", false, Sparsification.DELLA_MAGPRUNE, false, true);

    @Override
    public List<ParameterDef> parameters() {
        return List.of(ParameterDef.optional("int8_mask", false), ParameterDef.optional("normalize", defaultNormalize),
                ParameterDef.optional("rescale", defaultRescale), ParameterDef.optional("lambda", 1.0),
                ParameterDef.optional("lines_alpha", null), ParameterDef.optional("lines_beta", 0.0));
    }

    @Override
    public List<ParameterDef> tensorParameters() {
        List<ParameterDef> defs = new ArrayList<>(List.of(ParameterDef.required("weight"), ParameterDef.optional("density", 1.0)));
        if (sparsification == Sparsification.MAGNITUDE_OUTLIERS) {
            defs.add(ParameterDef.optional("gamma", 0.01));
        }
        if (sparsification == Sparsification.DELLA_MAGPRUNE) {
            defs.add(ParameterDef.optional("epsilon", 0.15));
        }
        return defs;
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public NDArray merge(MergeInput in) {
        NDArray base = in.base();
        List<Integer> others = in.others();
        if (others.isEmpty()) {
            return base.duplicate();
        }
        List<NDArray> weighted = new ArrayList<>();
        double[] weights = new double[others.size()];
        for (int k = 0; k < others.size(); k++) {
            int i = others.get(k);
            NDArray tau = in.taskVector(i);
            if (sparsification != null) {
                tau = sparsification.apply(tau, in.number(i, "density", 1.0), in.number(i, "gamma", 0.01),
                        in.number(i, "epsilon", 0.15), in.flag("rescale"), in.seed() * 31 + i, in.manager());
            }
            weights[k] = in.number(i, "weight", 0);
            weighted.add(tau.mul(weights[k]));
        }
        NDArray mixed;
        NDArray divisor;
        if (consensus) {
            NDArray total = weighted.getFirst();
            for (int k = 1; k < weighted.size(); k++) {
                total = total.add(weighted.get(k));
            }
            // majority sign by summed mass; an entry whose own sign is 0 never agrees
            NDArray majority = total.gte(0).toType(base.getDataType(), false).mul(2).sub(1);
            mixed = null;
            divisor = null;
            for (int k = 0; k < weighted.size(); k++) {
                NDArray agree = weighted.get(k).sign().eq(majority).toType(base.getDataType(), false);
                NDArray term = weighted.get(k).mul(agree);
                NDArray mass = agree.mul(weights[k]);
                mixed = mixed == null ? term : mixed.addi(term);
                divisor = divisor == null ? mass : divisor.addi(mass);
            }
            divisor = ai.djl.ndarray.NDArrays.where(divisor.eq(0), divisor.onesLike(), divisor);
        } else {
            mixed = weighted.getFirst();
            for (int k = 1; k < weighted.size(); k++) {
                mixed = mixed.add(weighted.get(k));
            }
            divisor = null;
            if (in.flag("normalize")) {
                mixed = mixed.div(MergeInput.divisor(weightSum(in)));
            }
        }
        if (divisor != null && in.flag("normalize")) {
            mixed = mixed.div(divisor);
        }
        double scale = in.number("lambda");
        if (in.parameters().get("lines_alpha") != null) {
            scale *= in.number("lines_alpha") + in.number("lines_beta") * in.depth();
        }
        if (scale != 1) {
            mixed = mixed.mul(scale);
        }
        return base.add(mixed);
    }

    @Override
    public boolean dividesByOne(MergeInput in) {
        if (!in.flag("normalize")) {
            return false;
        }
        if (!consensus) {
            return MergeInput.isZeroSum(weightSum(in));
        }
        // where every model agrees, the per-element divisor is all the weights added in f32 in input order
        float all = 0;
        for (int i : in.others()) {
            all += (float) in.number(i, "weight", 0);
        }
        return all == 0;
    }

    /** Σ wᵢ over the inputs other than the base: what normalize divides by without consensus. */
    static double weightSum(MergeInput in) {
        double sum = 0;
        for (int i : in.others()) {
            sum += in.number(i, "weight", 0);
        }
        return sum;
    }
}
