package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merge method: how one output tensor is computed from the inputs' tensors, with mergekit's names and
 * semantics so that a mergekit recipe means the same thing here.
 *
 * @implSpec {@link #merge} is pure: the same input gives the same output (random drops draw only from
 *     {@link MergeInput#seed}); it returns a new array made in the input's manager, never an input array.
 */
public interface MergeMethod {
    /** The name in recipes ({@code merge_method}). */
    String name();

    /** Parameters of the whole merge ({@code normalize}, {@code t}, {@code lambda}, …). */
    List<ParameterDef> parameters();

    /** Parameters given per model ({@code weight}, {@code density}, …). */
    List<ParameterDef> tensorParameters();

    /** Whether the method takes task vectors against a base model. */
    boolean needsBase();

    NDArray merge(MergeInput input);

    /**
     * Whether {@code normalize} divides this tensor's merge by weights that sum to zero and so, as mergekit
     * does, by 1 instead: everywhere, or (sign-consensus methods, whose divisor is per element) where every
     * model agrees. False for methods that do not divide by their weights.
     */
    default boolean dividesByOne(MergeInput input) {
        return false;
    }

    /** Every name a recipe may use for this method (mergekit reads per-model names at the top level too). */
    default Set<String> parameterNames() {
        Set<String> names = new LinkedHashSet<>();
        parameters().forEach(p -> names.add(p.name()));
        tensorParameters().forEach(p -> names.add(p.name()));
        return names;
    }

    /** The one registry, keyed by mergekit's YAML name. */
    static MergeMethod named(String name) {
        MergeMethod method = Registry.METHODS.get(name);
        if (method == null) {
            throw new EvomergeException("unknown merge_method '" + name + "'" + DidYouMean.suggest(name, Registry.METHODS.keySet()));
        }
        return method;
    }

    static Set<String> names() {
        return Registry.METHODS.keySet();
    }

    /** Holder, so the map is built once, after every class it names is loaded. */
    final class Registry {
        private static final Map<String, MergeMethod> METHODS = build();

        private Registry() {
        }

        private static Map<String, MergeMethod> build() {
            Map<String, MergeMethod> m = new LinkedHashMap<>();
            for (MergeMethod method : List.<MergeMethod>of(
                    new Linear(), new Slerp(), new NuSlerp(), new ModelStock(), new Passthrough(),
                    TaskArithmetic.TASK_ARITHMETIC, TaskArithmetic.TIES, TaskArithmetic.DARE_LINEAR,
                    TaskArithmetic.DARE_TIES, TaskArithmetic.BREADCRUMBS, TaskArithmetic.BREADCRUMBS_TIES,
                    TaskArithmetic.DELLA, TaskArithmetic.DELLA_LINEAR)) {
                m.put(method.name(), method);
            }
            return java.util.Collections.unmodifiableMap(m);
        }
    }
}
