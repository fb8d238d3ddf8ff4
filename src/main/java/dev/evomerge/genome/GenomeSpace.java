package dev.evomerge.genome;

/**
 * Where genomes live and what they mean: parameter space (merge coefficients), data-flow space (layer
 * routing), or both at once.
 *
 * @implSpec {@link #decode} is pure: no clock, file or random generator; the same genome always decodes
 *     to the same blueprint.
 */
public sealed interface GenomeSpace permits ParameterSpace, RoutingSpace, HybridSpace {
    Bounds bounds();

    int dimension();

    Blueprint decode(Genome genome);

    /**
     * What each gene means, one line per gene in genome order (e.g. {@code weight model=… group=0 [0, 2]}):
     * a run records it, and a resume or an export refuses a space whose genes mean something else.
     */
    java.util.List<String> genes();
}
