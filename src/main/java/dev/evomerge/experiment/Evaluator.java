package dev.evomerge.experiment;

import dev.evomerge.genome.Genome;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where candidates are evaluated: genomes in, evaluations (objectives and per-datapoint scores) out,
 * asynchronously, so the Runner can keep several candidates in flight. Each genome is evaluated on its
 * own (a {@link Problem} is deterministic per genome), so which evaluator took which genome, and when,
 * never changes a result; results come back in the genomes' order.
 */
public interface Evaluator extends AutoCloseable {
    /** How many candidates it evaluates at once. */
    int slots();

    /**
     * Evaluates {@code genomes}, under racing's {@code screen} when it is not null; completes with one
     * evaluation per genome in order, or exceptionally with the failure of the first genome (in order) that failed.
     */
    CompletableFuture<List<Evaluation>> submit(List<Genome> genomes, Problem.Screen screen);

    @Override
    void close();
}
