package dev.evomerge.experiment;

import dev.evomerge.genome.Bounds;

/**
 * The {@code problem} section of an experiment: a built-in benchmark function, or a merge of checkpoints
 * scored on tasks. Parsed and checked without loading models; {@link #open} loads what evaluation needs.
 */
public sealed interface ProblemSpec permits BenchmarkProblem, MergeProblemSpec {
    Bounds bounds();

    int objectiveCount();

    Problem open(String device);

    /** What the genes, tasks and objectives mean, recorded by a run (see {@link RunLayout}). */
    RunLayout layout();
}
