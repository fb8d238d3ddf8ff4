package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Everything a merge method sees of one tensor: the inputs' values (and their task vectors against the
 * base), the resolved parameters, the tensor's depth in the network and the seed for random drops.
 *
 * <p>Inputs are reached through functions so that each path supplies its arrays: the disk path reads the
 * models' tensors, the in-memory path views the resident ones; both derive a task vector
 * ({@code θᵢ − θ_base}) when a method asks for it, by the same subtraction. Every array a method makes lands
 * in {@link #manager()}, which the engine closes after the tensor is done.
 *
 * @param tensorName       the output tensor's name
 * @param size             the number of inputs
 * @param baseIndex        which input is the base model, or −1
 * @param parameters       method parameters resolved for this tensor
 * @param tensorParameters per input, the per-model parameters resolved for this tensor
 * @param depth            position in the network for LiNeS: 0 for embeddings, layer/(L−1), 1 after the layers
 * @param seed             seeds this tensor's random drops (recipe seed mixed with the tensor name)
 */
public record MergeInput(String tensorName, int size, int baseIndex, Map<String, Object> parameters,
                         List<Map<String, Object>> tensorParameters, double depth, long seed, NDManager manager,
                         IntFunction<NDArray> tensors, IntFunction<NDArray> taskVectors) {
    public MergeInput {
        parameters = Map.copyOf(parameters);
        tensorParameters = List.copyOf(tensorParameters);
    }

    /** The parameters of a planned tensor, with no tensors (for kernels that read the tensors themselves). */
    static MergeInput parametersOnly(MergePlan.TensorTask task) {
        java.util.function.IntFunction<NDArray> none = i -> {
            throw new IllegalStateException("this input carries parameters only");
        };
        return new MergeInput(task.output().name(), task.inputs().size(), task.baseIndex(), task.parameters(), task.tensorParameters(),
                task.depth(), task.seed(), null, none, none);
    }

    /**
     * What {@code normalize} divides by, given the weights' sum: the sum, or 1 where it is zero (|Σ| &lt; 1e-8), as
     * mergekit does rather than refuse the recipe.
     */
    static double divisor(double weightSum) {
        return isZeroSum(weightSum) ? 1 : weightSum;
    }

    /** Whether a weight sum counts as zero: below mergekit's threshold, 1e-8. */
    static boolean isZeroSum(double weightSum) {
        return Math.abs(weightSum) < 1e-8;
    }

    public NDArray tensor(int index) {
        return tensors.apply(index);
    }

    /** θᵢ − θ_base; only for inputs other than the base. */
    public NDArray taskVector(int index) {
        if (index == baseIndex) {
            throw new IllegalArgumentException("the base has no task vector");
        }
        return taskVectors.apply(index);
    }

    public NDArray base() {
        if (baseIndex < 0) {
            throw new IllegalStateException("no base model for " + tensorName);
        }
        return tensor(baseIndex);
    }

    /** The inputs other than the base, in recipe order. */
    public List<Integer> others() {
        return java.util.stream.IntStream.range(0, size).filter(i -> i != baseIndex).boxed().toList();
    }

    public double number(String name) {
        return ((Number) parameters.get(name)).doubleValue();
    }

    public boolean flag(String name) {
        return (Boolean) parameters.get(name);
    }

    /** A per-model numeric parameter, or {@code fallback} when the input has none (the base usually). */
    public double number(int input, String name, double fallback) {
        Object v = tensorParameters.get(input).get(name);
        return v == null ? fallback : ((Number) v).doubleValue();
    }

    public boolean has(int input, String name) {
        return tensorParameters.get(input).get(name) != null;
    }
}
