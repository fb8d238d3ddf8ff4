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
public sealed interface Task extends AutoCloseable permits ClassificationTask, LanguageTask, EmbeddingTask {
    String name();

    int size();

    /** Every datapoint's score, in the task's order. */
    default double[] score(Candidate candidate, NDManager scope) {
        return score(candidate, scope, java.util.stream.IntStream.range(0, size()).toArray());
    }

    /**
     * The scores of the datapoints at {@code datapoints} (indices into the task's order), in that order: racing
     * scores a candidate on a sample first and on the rest only if it is promising.
     */
    double[] score(Candidate candidate, NDManager scope, int[] datapoints);

    /** Whether a higher datapoint score is better (accuracy) or a lower one (a loss): strategies read them oriented. */
    boolean higherIsBetter();

    /** Each datapoint's class label, for samples stratified by label; null for tasks without labels. */
    default int[] labels() {
        return null;
    }

    /** Frees the task's resident data. */
    @Override
    void close();
}
