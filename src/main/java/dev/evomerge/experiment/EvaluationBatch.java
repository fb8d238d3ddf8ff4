package dev.evomerge.experiment;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The results of one submitted batch of genomes, filled in by index as evaluators finish, in any order:
 * {@link #done} completes once every genome has an evaluation or a failure, with the evaluations in genome
 * order, or exceptionally with the failure of the first genome (in order) that failed.
 *
 * @implNote thread-safe: each index is set once, by whichever thread evaluated it.
 */
public final class EvaluationBatch {
    private final Evaluation[] results;
    private final Throwable[] failures;
    private int left;
    private final CompletableFuture<List<Evaluation>> done = new CompletableFuture<>();

    public EvaluationBatch(int size) {
        results = new Evaluation[size];
        failures = new Throwable[size];
        left = size;
        if (size == 0) {
            done.complete(List.of());
        }
    }

    public int size() {
        return results.length;
    }

    public CompletableFuture<List<Evaluation>> done() {
        return done;
    }

    public void succeeded(int index, Evaluation evaluation) {
        finished(index, evaluation, null);
    }

    public void failed(int index, Throwable failure) {
        finished(index, null, failure);
    }

    /** Ends the batch now with {@code failure} (its evaluators are gone); later results are ignored. */
    public void abandon(Throwable failure) {
        done.completeExceptionally(failure);
    }

    private void finished(int index, Evaluation evaluation, Throwable failure) {
        synchronized (this) {
            if (results[index] != null || failures[index] != null) {
                throw new IllegalStateException("genome " + index + " of the batch finished twice");
            }
            results[index] = evaluation;
            failures[index] = failure;
            if (--left > 0) {
                return;
            }
        }
        for (Throwable f : failures) {
            if (f != null) {
                done.completeExceptionally(f);
                return;
            }
        }
        done.complete(Arrays.asList(results));
    }
}
