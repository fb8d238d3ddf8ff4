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
}
