package dev.evomerge.fitness;

import ai.djl.ndarray.NDManager;
import dev.evomerge.merge.Candidate;

/**
 * A calibration task: datapoints held on the device, and how a candidate's outputs on them are scored. A
 * task encodes its data and scores outputs; the forward pass it calls knows nothing of tasks.
 *
 * @implSpec {@link #score} returns one score per datapoint (larger is better), in the task's fixed order,
 *     and makes every array it needs in {@code scope}.
 */
public sealed interface Task extends AutoCloseable permits ClassificationTask, LanguageTask {
    String name();

    int size();

    double[] score(Candidate candidate, NDManager scope);

    /** The scores of the first {@code limit} datapoints only (racing scores a candidate on a subset first). */
    double[] score(Candidate candidate, NDManager scope, int limit);

    /** Frees the task's resident data. */
    @Override
    void close();
}
