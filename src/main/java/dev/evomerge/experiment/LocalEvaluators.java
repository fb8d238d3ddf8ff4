package dev.evomerge.experiment;

import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * N evaluators in this JVM, each with the problem opened once for it (its own models, on its own device),
 * each on its own thread taking the next waiting genome. With one evaluator the genomes are evaluated on the
 * caller's thread, as one batch, exactly as the plain loop does.
 */
public final class LocalEvaluators implements Evaluator {
    private final List<Problem> problems;
    private final List<Thread> threads = new ArrayList<>();
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();

    /** One genome of a batch: where its result goes, and the batch it completes. */
    private record Job(Genome genome, int index, Problem.Screen screen, EvaluationBatch batch) {
    }

    /**
     * @param first the problem the caller already opened (evaluator 0; the Runner keeps using it between generations)
     * @param spec  what the others open
     */
    public LocalEvaluators(Problem first, ProblemSpec spec, Workers workers, String device) {
        problems = new ArrayList<>(List.of(first));
        try {
            for (int i = 1; i < workers.local(); i++) {
                problems.add(spec.open(workers.device(i, device)));
            }
        } catch (RuntimeException e) {
            problems.subList(1, problems.size()).forEach(Problem::close);
            throw e;
        }
        if (problems.size() > 1) {
            for (int i = 0; i < problems.size(); i++) {
                Problem p = problems.get(i);
                Thread t = Thread.ofPlatform().daemon().name("evaluator-" + i).start(() -> work(p));
                threads.add(t);
            }
        }
    }

    @Override
    public int slots() {
        return problems.size();
    }

    @Override
    public CompletableFuture<List<Evaluation>> submit(List<Genome> genomes, Problem.Screen screen) {
        if (threads.isEmpty()) {
            try {
                return CompletableFuture.completedFuture(problems.getFirst().evaluate(genomes, screen));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        EvaluationBatch batch = new EvaluationBatch(genomes.size());
        for (int i = 0; i < genomes.size(); i++) {
            queue.add(new Job(genomes.get(i), i, screen, batch));
        }
        return batch.done();
    }

    private void work(Problem problem) {
        try {
            while (true) {
                Job job = queue.take();
                Evaluation result;
                try {
                    result = problem.evaluate(List.of(job.genome()), job.screen()).getFirst();
                } catch (RuntimeException | Error e) {
                    job.batch().failed(job.index(), e); // the loop thread rethrows it; this one stays to serve
                    continue;
                }
                job.batch().succeeded(job.index(), result);
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // evaluator 0's problem belongs to the caller
        problems.subList(1, problems.size()).forEach(Problem::close);
    }
}
